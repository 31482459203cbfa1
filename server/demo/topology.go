package demo

import (
	"math/rand/v2"
	"time"
)

// Names of the demo's uninstrumented dependencies.
const (
	// PaymentProviderAddress is the server.address of the external payment
	// provider payment calls (no peer.service).
	PaymentProviderAddress = "api.stripe-like.example"
	// CarrierAddress is the server.address of the shipping carrier's API.
	CarrierAddress = "api.carrier.example"
	// MailRelayAddress is the server.address of the SMTP relay email-worker
	// sends through.
	MailRelayAddress = "smtp.mail-relay.example"
	// OrdersTopic is the Kafka topic checkout publishes orders to.
	OrdersTopic = "orders"
	// EmailsTopic is the Kafka topic notification publishes mails to.
	EmailsTopic = "emails"
	// PaymentEventsTopic is the Kafka topic payment publishes settled
	// charges to. Its consumers (a ledger export) are not traced, so the
	// topic is an uninstrumented peer on the map.
	PaymentEventsTopic = "payment-events"
)

// newSystem builds the demo shop. Instance names and clock offsets come from
// r, so the system is the same for the same seed.
func newSystem(r *rand.Rand, skew time.Duration) *system {
	s := &system{}
	add := func(name, ns, version string, n int) *service {
		return s.addService(r, skew, name, ns, version, n)
	}
	web := add("web-frontend", NamespaceShop, "2.14.1", 3)
	gw := add("api-gateway", NamespacePlatform, "1.9.0", 2)
	auth := add("auth", NamespacePlatform, "3.2.0", 2)
	users := add("user-profile", NamespacePlatform, "1.4.2", 2)
	notify := add("notification", NamespacePlatform, "0.9.3", 1)
	mailer := add("email-worker", NamespacePlatform, "0.9.3", 1)
	catalog := add("catalog", NamespaceShop, "4.0.7", 3)
	search := add("search", NamespaceShop, "2.1.0", 2)
	cart := add("cart", NamespaceShop, "1.12.0", 2)
	checkout := add("checkout", NamespaceShop, "3.3.1", 2)
	payment := add("payment", NamespaceShop, "2.0.4", 2)
	inventory := add("inventory", NamespaceShop, "1.8.0", 2)
	shipping := add("shipping", NamespaceShop, "1.1.5", 1)
	reco := add("recommendation", NamespaceShop, "0.17.0", 2)
	pricing := add("pricing", NamespaceShop, "1.3.2", 2)
	ml := add("ml-scoring", NamespaceShop, "0.1.0", 1)
	web.peerAttr = true
	gw.peerAttr = true

	pgShop := &peer{kind: peerPostgres, system: "postgresql", address: "pg-shop.shop.svc.cluster.local", port: 5432}
	pgPlatform := &peer{kind: peerPostgres, system: "postgresql", address: "pg-platform.platform.svc.cluster.local", port: 5432}
	cache := &peer{kind: peerRedis, system: "redis", name: "redis-cache", address: "redis-cache.shop.svc.cluster.local", port: 6379}
	sessions := &peer{kind: peerRedis, system: "redis", name: "redis-sessions", address: "redis-sessions.platform.svc.cluster.local", port: 6379}
	features := &peer{kind: peerRedis, system: "redis", name: "feature-store", address: "feature-store.shop.svc.cluster.local", port: 6379}
	kafka := &peer{kind: peerKafka, system: "kafka", address: "kafka.platform.svc.cluster.local", port: 9092}
	stripe := &peer{kind: peerHTTPS, address: PaymentProviderAddress, port: 443}
	carrier := &peer{kind: peerHTTPS, address: CarrierAddress, port: 443}
	smtp := &peer{kind: peerSMTP, address: MailRelayAddress, port: 587}

	quick := lat(ms(0.35), 0.4)
	dbFast := lat(ms(1.2), 0.6)
	grpc := func(svc *service, service, method string, work dist, errRate float64, calls ...call) *endpoint {
		return ep(svc, protoGRPC, method, service, work, errRate, calls...)
	}
	http := func(svc *service, method, route string, work dist, errRate float64, calls ...call) *endpoint {
		return ep(svc, protoHTTP, method, route, work, errRate, calls...)
	}
	consume := func(svc *service, topic string, work dist, errRate float64, calls ...call) *endpoint {
		return ep(svc, protoConsumer, svc.name, topic, work, errRate, calls...)
	}

	// Platform services.
	mlScore := grpc(ml, "ml.v1.ScoringService", "Score", lat(ms(14), 0.5), 0.002,
		redis(features, "HMGET", "features:{user}", lat(ms(0.6), 0.4)))
	getUser := grpc(users, "users.v1.UserService", "GetUser", lat(ms(0.5), 0.4), 0.001,
		sql(pgPlatform, "users_db", "SELECT", "users", "SELECT id, email, password_hash FROM users WHERE email = $1", dbFast))
	getProfile := grpc(users, "users.v1.UserService", "GetProfile", lat(ms(0.6), 0.4), 0.001,
		redis(cache, "GET", "profile:{user}", quick),
		sql(pgPlatform, "users_db", "SELECT", "profiles", "SELECT * FROM profiles WHERE user_id = $1", dbFast).maybe(0.3))
	getContact := grpc(users, "users.v1.UserService", "GetContact", lat(ms(0.4), 0.4), 0.001,
		sql(pgPlatform, "users_db", "SELECT", "users", "SELECT email, locale FROM users WHERE id = $1", dbFast))
	check := grpc(auth, "auth.v1.AuthService", "Check", lat(ms(0.3), 0.4), 0.001,
		redis(sessions, "GET", "session:{id}", quick))
	login := grpc(auth, "auth.v1.AuthService", "Login", lat(ms(28), 0.15), 0.002,
		to(getUser),
		redis(sessions, "SET", "session:{id}", quick))
	sendMail := consume(mailer, EmailsTopic, lat(ms(2), 0.5), 0.001,
		call{peer: smtp, op: "send", p: 1, minN: 1, maxN: 1, critical: true,
			lat: lat(ms(120), 0.6).withTail(0.03, 10), errRate: 0.01}.retry(1))
	notifyOrder := consume(notify, OrdersTopic, lat(ms(1.5), 0.5), 0.002,
		to(getContact),
		publish(kafka, EmailsTopic, consumer{ep: sendMail, lag: lat(ms(40), 0.8)}))

	// Shop services.
	getStock := grpc(inventory, "inventory.v1.InventoryService", "GetStock", lat(ms(0.4), 0.4), 0.001,
		sql(pgShop, "inventory_db", "SELECT", "stock", "SELECT sku, available FROM stock WHERE sku = $1", dbFast).
			during(IncidentLatencySpike))
	reserve := grpc(inventory, "inventory.v1.InventoryService", "Reserve", lat(ms(0.6), 0.4), 0.002,
		sql(pgShop, "inventory_db", "UPDATE", "stock", "UPDATE stock SET reserved = reserved + $2 WHERE sku = $1", lat(ms(2.5), 0.6)).
			during(IncidentLatencySpike).times(1, 3))
	getPrice := grpc(pricing, "pricing.v1.PricingService", "GetPrice", lat(ms(0.3), 0.4), 0.001,
		redis(cache, "GET", "price:{sku}", quick),
		sql(pgShop, "pricing_db", "SELECT", "prices", "SELECT amount, currency FROM prices WHERE sku = $1", dbFast).maybe(0.2))
	quote := grpc(pricing, "pricing.v1.PricingService", "Quote", lat(ms(2), 0.5), 0.002,
		sql(pgShop, "pricing_db", "SELECT", "promotions", "SELECT * FROM promotions WHERE active AND sku = ANY($1)", lat(ms(3), 0.6)))
	getProduct := grpc(catalog, "catalog.v1.CatalogService", "GetProduct", lat(ms(0.5), 0.4), 0.001,
		redis(cache, "GET", "product:{id}", quick),
		sql(pgShop, "catalog_db", "SELECT", "products", "SELECT * FROM products WHERE id = $1", dbFast).maybe(0.25))
	listProducts := grpc(catalog, "catalog.v1.CatalogService", "ListProducts", lat(ms(1.5), 0.5), 0.001,
		sql(pgShop, "catalog_db", "SELECT", "products", "SELECT * FROM products ORDER BY rank LIMIT 24 OFFSET $1", lat(ms(6), 0.7)))
	getProducts := grpc(catalog, "catalog.v1.CatalogService", "GetProducts", lat(ms(0.8), 0.4), 0.001,
		redis(cache, "MGET", "product:{ids}", quick),
		sql(pgShop, "catalog_db", "SELECT", "products", "SELECT * FROM products WHERE id = ANY($1)", lat(ms(2.5), 0.6)).maybe(0.3))
	recommend := grpc(reco, "reco.v1.RecommendationService", "Recommend", lat(ms(3), 0.6), 0.003,
		redis(cache, "GET", "reco:{user}", quick),
		to(mlScore).during(IncidentNewDependency).optional(),
		to(getProducts))
	query := grpc(search, "search.v1.SearchService", "Query", lat(ms(18), 0.7).withTail(0.03, 10), 0.002,
		to(getProducts))
	addItem := grpc(cart, "cart.v1.CartService", "AddItem", lat(ms(0.5), 0.4), 0.002,
		to(getStock),
		redis(cache, "HSET", "cart:{id}", quick))
	getCart := grpc(cart, "cart.v1.CartService", "GetCart", lat(ms(0.3), 0.4), 0.001,
		redis(cache, "HGETALL", "cart:{id}", quick))
	charge := grpc(payment, "payment.v1.PaymentService", "Charge", lat(ms(1.5), 0.4), 0.001,
		sql(pgShop, "payments_db", "INSERT", "payments", "INSERT INTO payments (order_id, amount, state) VALUES ($1, $2, 'pending')", dbFast),
		https(stripe, "POST", "/v1/charges", lat(ms(180), 0.45).withTail(0.02, 6)).retry(2).during(IncidentErrorBurst),
		sql(pgShop, "payments_db", "UPDATE", "payments", "UPDATE payments SET state = $2 WHERE order_id = $1", dbFast),
		publish(kafka, PaymentEventsTopic))
	ship := consume(shipping, OrdersTopic, lat(ms(1), 0.5), 0.002,
		sql(pgShop, "shipping_db", "INSERT", "shipments", "INSERT INTO shipments (order_id, address) VALUES ($1, $2)", dbFast),
		https(carrier, "POST", "/v1/labels", lat(ms(90), 0.5)).retry(1))
	placeOrder := grpc(checkout, "checkout.v1.CheckoutService", "PlaceOrder", lat(ms(2), 0.5), 0.002,
		to(getCart),
		to(quote).together(),
		to(reserve).retry(1),
		to(charge),
		sql(pgShop, "orders_db", "INSERT", "orders", "INSERT INTO orders (id, user_id, total) VALUES ($1, $2, $3)", dbFast),
		publish(kafka, OrdersTopic,
			consumer{ep: ship, lag: lat(ms(25), 0.9).withTail(0.02, 10)},
			consumer{ep: notifyOrder, linked: true, lag: lat(ms(60), 0.9).withTail(0.02, 10)}))
	placeOrder.internal = "process order"
	listOrders := grpc(checkout, "checkout.v1.CheckoutService", "ListOrders", lat(ms(0.8), 0.4), 0.001,
		sql(pgShop, "orders_db", "SELECT", "orders", "SELECT * FROM orders WHERE user_id = $1 ORDER BY created_at DESC LIMIT 20", lat(ms(3), 0.6)))

	// Gateway routes: authenticate, then call the backends.
	gwWork := lat(ms(0.4), 0.4)
	authed := func(method, route string, calls ...call) *endpoint {
		return http(gw, method, route, gwWork, 0.0005, append([]call{to(check).retry(1)}, calls...)...)
	}
	apiProducts := authed("GET", "/api/v1/products", to(listProducts))
	apiProduct := authed("GET", "/api/v1/products/{id}",
		to(getProduct), to(getPrice).together(), to(getStock).together())
	apiReco := authed("GET", "/api/v1/recommendations", to(recommend))
	apiSearch := authed("GET", "/api/v1/search", to(query))
	apiCart := authed("POST", "/api/v1/cart/items", to(addItem))
	apiCheckout := authed("POST", "/api/v1/checkout", to(placeOrder))
	apiLogin := http(gw, "POST", "/api/v1/login", gwWork, 0.0005, to(login))
	apiAccount := authed("GET", "/api/v1/account", to(getProfile), to(listOrders).together())

	// The user-facing pages.
	page := lat(ms(4), 0.5).withTail(0.02, 6)
	home := http(web, "GET", "/", page, 0.0005, to(apiProducts), to(apiReco).together().optional())
	product := http(web, "GET", "/product/{id}", page, 0.0005,
		to(apiProduct), to(apiReco).together().optional())
	product.internal = "load product page"
	searchPage := http(web, "GET", "/search", page, 0.0005, to(apiSearch))
	addToCart := http(web, "POST", "/cart", lat(ms(1.5), 0.4), 0.0005, to(apiCart))
	checkoutPage := http(web, "POST", "/checkout", lat(ms(2), 0.4), 0.0005, to(apiCheckout))
	loginPage := http(web, "POST", "/login", lat(ms(1.5), 0.4), 0.0005, to(apiLogin))
	account := http(web, "GET", "/account", page, 0.0005, to(apiAccount))

	s.roots = []root{
		{home, 25}, {product, 30}, {searchPage, 15}, {addToCart, 12},
		{checkoutPage, 6}, {loginPage, 5}, {account, 7},
	}
	for _, rt := range s.roots {
		s.totalW += rt.weight
	}
	return s
}
