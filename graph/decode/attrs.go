package decode

import (
	"bytes"
	"math"

	"github.com/spanmap/spanmap/graph/span"
)

// attrKey identifies an attribute (OTLP) or tag (Jaeger, Zipkin) the decoders
// keep. Everything else is skipped without decoding its value.
type attrKey uint8

const (
	keyNone attrKey = iota
	keyServiceName
	keyServiceNamespace
	keyPeerService
	keyDBSystem
	keyDBSystemName
	keyDBName
	keyDBNamespace
	keyMessagingSystem
	keyDestination
	keyDestinationName
	keyServerAddress
	keyNetPeerName
	keyPeerHostname
	keyPeerAddress
	keyHTTPHost
	keyHTTPURL
	keyURLFull
	keyHTTPStatus
	keyHTTPResponseStatus
	keyGRPCStatus
	keyError
	keyOtelStatusCode
	keySpanKind
	keySamplerType
	keySamplerParam
)

// lookupKey maps an attribute name to the key the decoders keep. The switch
// on string(b) does not allocate.
func lookupKey(b []byte) attrKey {
	switch string(b) {
	case "service.name":
		return keyServiceName
	case "service.namespace":
		return keyServiceNamespace
	case "peer.service":
		return keyPeerService
	case "db.system":
		return keyDBSystem
	case "db.system.name":
		return keyDBSystemName
	case "db.name":
		return keyDBName
	case "db.namespace":
		return keyDBNamespace
	case "messaging.system":
		return keyMessagingSystem
	case "messaging.destination":
		return keyDestination
	case "messaging.destination.name":
		return keyDestinationName
	case "server.address":
		return keyServerAddress
	case "net.peer.name":
		return keyNetPeerName
	case "peer.hostname":
		return keyPeerHostname
	case "network.peer.address", "net.sock.peer.addr", "net.peer.ip":
		return keyPeerAddress
	case "http.host":
		return keyHTTPHost
	case "http.url":
		return keyHTTPURL
	case "url.full":
		return keyURLFull
	case "http.status_code":
		return keyHTTPStatus
	case "http.response.status_code":
		return keyHTTPResponseStatus
	case "rpc.grpc.status_code":
		return keyGRPCStatus
	case "error":
		return keyError
	case "otel.status_code":
		return keyOtelStatusCode
	case "span.kind":
		return keySpanKind
	case "sampler.type":
		return keySamplerType
	case "sampler.param":
		return keySamplerParam
	}
	return keyNone
}

// samplerKind is the Jaeger sampler.type of a span.
type samplerKind uint8

const (
	samplerUnknown samplerKind = iota
	samplerProbabilistic
	samplerConst
)

// attrs gathers the kept attributes of one span (or resource, or process)
// before they are applied, so that precedence does not depend on order.
type attrs struct {
	serviceName, namespace          string
	peerService                     string
	dbSystem, dbSystemName          string
	dbName, dbNamespace             string
	messagingSystem                 string
	destination, destinationName    string
	serverAddress, netPeerName      string
	peerHostname, httpHost, urlHost string
	peerAddress                     string
	httpStatus, httpResponseStatus  int32
	grpcStatus                      int32
	errorTag, statusError           bool
	kind                            span.Kind
	sampler                         samplerKind
	samplerParam                    float64
	hasSamplerParam                 bool
}

// set records one attribute. Strings are interned: they outlive the input.
func (a *attrs) set(k attrKey, v *value, in *interner) {
	switch k {
	case keyError:
		a.errorTag = v.truthy()
		return
	case keyHTTPStatus:
		a.httpStatus = statusCode(v)
		return
	case keyHTTPResponseStatus:
		a.httpResponseStatus = statusCode(v)
		return
	case keyGRPCStatus:
		a.grpcStatus = statusCode(v)
		return
	case keySamplerParam:
		a.samplerParam, a.hasSamplerParam = v.asFloat()
		return
	}
	if v.kind != valString {
		return
	}
	s := v.str
	switch k {
	case keyServiceName:
		a.serviceName = in.str(s)
	case keyServiceNamespace:
		a.namespace = in.str(s)
	case keyPeerService:
		a.peerService = in.str(s)
	case keyDBSystem:
		a.dbSystem = in.str(s)
	case keyDBSystemName:
		a.dbSystemName = in.str(s)
	case keyDBName:
		a.dbName = in.str(s)
	case keyDBNamespace:
		a.dbNamespace = in.str(s)
	case keyMessagingSystem:
		a.messagingSystem = in.str(s)
	case keyDestination:
		a.destination = in.str(s)
	case keyDestinationName:
		a.destinationName = in.str(s)
	case keyServerAddress:
		a.serverAddress = in.str(s)
	case keyNetPeerName:
		a.netPeerName = in.str(s)
	case keyPeerHostname:
		a.peerHostname = in.str(s)
	case keyPeerAddress:
		a.peerAddress = in.str(s)
	case keyHTTPHost:
		a.httpHost = in.str(stripPort(s))
	case keyHTTPURL, keyURLFull:
		if h := urlHost(s); len(h) > 0 && (a.urlHost == "" || k == keyURLFull) {
			a.urlHost = in.str(h)
		}
	case keyOtelStatusCode:
		a.statusError = bytes.EqualFold(s, []byte("ERROR"))
	case keySpanKind:
		a.kind = kindFromName(s)
	case keySamplerType:
		switch {
		case bytes.Equal(s, []byte("probabilistic")):
			a.sampler = samplerProbabilistic
		case bytes.Equal(s, []byte("const")):
			a.sampler = samplerConst
		default:
			a.sampler = samplerUnknown
		}
	}
}

// statusCode reads an HTTP or gRPC status code, 0 when absent or invalid.
func statusCode(v *value) int32 {
	n, ok := v.asInt()
	if !ok || n < 0 || n > math.MaxInt32 {
		return 0
	}
	return int32(n)
}

// apply copies the gathered attributes into s. Newer semantic-convention
// names win over older ones; the service name and namespace are left to the
// caller, except that a namespace tag fills an empty Namespace.
func (a *attrs) apply(s *span.Span) {
	p := &s.Peer
	p.Service = a.peerService
	p.DBSystem = first(a.dbSystemName, a.dbSystem)
	p.DBName = first(a.dbNamespace, a.dbName)
	p.MessagingSystem = a.messagingSystem
	p.Destination = first(a.destinationName, a.destination)
	p.ServerAddress = first(a.serverAddress, a.httpHost, a.urlHost)
	p.NetPeerName = first(a.netPeerName, a.peerHostname, a.peerAddress)
	s.HTTPStatus = a.httpResponseStatus
	if s.HTTPStatus == 0 {
		s.HTTPStatus = a.httpStatus
	}
	s.GRPCStatus = a.grpcStatus
	s.ErrorTag = a.errorTag
	s.StatusError = s.StatusError || a.statusError
	if s.Kind == span.KindUnspecified {
		s.Kind = a.kind
	}
	if s.Namespace == "" {
		s.Namespace = a.namespace
	}
	if s.SamplingProbability == 0 && a.hasSamplerParam {
		switch a.sampler {
		case samplerProbabilistic:
			if a.samplerParam > 0 && a.samplerParam <= 1 {
				s.SamplingProbability = a.samplerParam
			}
		case samplerConst:
			if a.samplerParam != 0 {
				s.SamplingProbability = 1
			}
		}
	}
}

func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// kindFromName parses a span.kind tag or a Zipkin kind ("server", "CLIENT").
func kindFromName(b []byte) span.Kind {
	switch {
	case bytes.EqualFold(b, []byte("server")):
		return span.KindServer
	case bytes.EqualFold(b, []byte("client")):
		return span.KindClient
	case bytes.EqualFold(b, []byte("producer")):
		return span.KindProducer
	case bytes.EqualFold(b, []byte("consumer")):
		return span.KindConsumer
	case bytes.EqualFold(b, []byte("internal")):
		return span.KindInternal
	}
	return span.KindUnspecified
}

// otlpKind maps an OTLP SpanKind number; unknown numbers are unspecified.
func otlpKind(n uint64) span.Kind {
	if n <= 5 {
		return span.Kind(n) // OTLP numbers its kinds in span.Kind's order
	}
	return span.KindUnspecified
}
