package otlp

import (
	"fmt"
	"net/http"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"

	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/server/source/httpbody"
)

// Path is the OTLP/HTTP traces path.
const Path = "/v1/traces"

const (
	mediaProto = "application/x-protobuf"
	mediaJSON  = "application/json"
)

// HTTPHandler returns the OTLP/HTTP handler. Mount it at Path.
func (r *Receiver) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(Path, r.serveHTTP)
	return mux
}

func (r *Receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	r.requests.Add(1)
	media := httpbody.MediaType(req)
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeStatus(w, mediaJSON, http.StatusMethodNotAllowed, "OTLP/HTTP export must be a POST")
		return
	}
	var format decode.Format
	switch media {
	case mediaProto:
		format = decode.OTLPProto
	case mediaJSON:
		format = decode.OTLPJSON
	default:
		writeStatus(w, mediaJSON, http.StatusUnsupportedMediaType,
			fmt.Sprintf("unsupported content type %q: send application/x-protobuf or application/json", media))
		return
	}
	body, err := httpbody.Read(req, r.cfg.MaxBodyBytes)
	if err != nil {
		code := httpbody.Status(err)
		if code == http.StatusRequestEntityTooLarge {
			r.tooLarge.Add(1)
		} else {
			r.malformed.Add(1)
		}
		writeStatus(w, media, code, err.Error())
		return
	}
	spans, err := decode.Bytes(body, format)
	if err != nil {
		r.malformed.Add(1)
		writeStatus(w, media, http.StatusBadRequest, err.Error())
		return
	}
	rejected, err := r.accept(spans)
	if err != nil {
		w.Header().Set("Retry-After", strconv.Itoa(int(r.cfg.RetryAfter.Seconds()+0.5)))
		writeStatus(w, media, http.StatusServiceUnavailable, "spanmap is busy: "+err.Error()+"; retry later")
		return
	}
	resp := &coltrace.ExportTraceServiceResponse{}
	if rejected > 0 {
		resp.PartialSuccess = &coltrace.ExportTracePartialSuccess{
			RejectedSpans: int64(rejected),
			ErrorMessage:  fmt.Sprintf("%d spans rejected: more than %d spans of one trace in one request", rejected, r.cfg.MaxSpansPerTrace),
		}
	}
	writeMessage(w, media, http.StatusOK, resp)
}

// writeStatus writes a google.rpc.Status body, as OTLP/HTTP prescribes for
// errors, in the request's encoding.
func writeStatus(w http.ResponseWriter, media string, code int, msg string) {
	writeMessage(w, media, code, &status.Status{Code: int32(grpcCode(code)), Message: msg})
}

func grpcCode(httpCode int) codes.Code {
	switch httpCode {
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusRequestEntityTooLarge:
		return codes.ResourceExhausted
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	case http.StatusUnsupportedMediaType, http.StatusMethodNotAllowed:
		return codes.Unimplemented
	}
	return codes.Unknown
}

func writeMessage(w http.ResponseWriter, media string, code int, m proto.Message) {
	var (
		b   []byte
		err error
	)
	if media == mediaProto {
		b, err = proto.Marshal(m)
	} else {
		media = mediaJSON
		b, err = protojson.Marshal(m)
	}
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", media)
	w.WriteHeader(code)
	_, _ = w.Write(b)
}
