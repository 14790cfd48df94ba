package io.supportlm.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.supportlm.server.classify.MicroBatcher;
import io.supportlm.server.policy.Policy;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.StatisticsHandler;

/**
 * The supportlm HTTP server (Javalin on Jetty). Every route goes through one wrapper that sets the
 * request id, checks the API key, maps {@link ApiException}s to JSON errors (never a stack trace),
 * records per-route metrics and writes the access log line. Classification requests go through a
 * {@link MicroBatcher} per model. {@link #stop()} drains: readiness turns 503, new requests are
 * refused, in-flight ones finish, then the batchers and Jetty stop.
 */
public final class SupportServer implements AutoCloseable {
    private static final Pattern CLIENT_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    static final String HANDLED = "supportlm.handled";
    static final String LOG = "supportlm.log";

    private final ServerConfig config;
    private final ServedModels models;
    private final Policy policy;
    private final AccessLog accessLog;
    private final ApiKeys apiKeys;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, MicroBatcher> batchers = new LinkedHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final StatisticsHandler jettyRequests = new StatisticsHandler();
    private final Javalin app;
    private volatile boolean started;
    private volatile boolean draining;

    /** The default bound on generation: {@link #DEFAULT_GENERATION_SLOTS} at once, {@link #DEFAULT_GENERATION_QUEUE} waiting. */
    public static final int DEFAULT_GENERATION_SLOTS = 2;
    public static final int DEFAULT_GENERATION_QUEUE = 16;

    public SupportServer(ServerConfig config, ServedModels models, Policy policy, AccessLog accessLog) {
        this(config, models, policy, accessLog, new ConcurrencyLimit(DEFAULT_GENERATION_SLOTS, DEFAULT_GENERATION_QUEUE));
    }

    /** @param generationLimit how many generation requests run at once and how many may wait (beyond: 429) */
    public SupportServer(ServerConfig config, ServedModels models, Policy policy, AccessLog accessLog, ConcurrencyLimit generationLimit) {
        this.config = config;
        this.models = models;
        this.policy = policy;
        this.accessLog = accessLog;
        this.apiKeys = new ApiKeys(config.apiKeys());
        policy.checkTasks(models.labelsByTask());
        for (ServedModel m : models.all()) {
            m.classification().ifPresent(c -> batchers.put(m.name(),
                    new MicroBatcher(m.name(), c, config.maxBatch(), config.maxWait(), config.queueCapacity(), registry)));
        }
        Gauge.builder("supportlm.http.in.flight", inFlight, AtomicInteger::get)
                .description("requests being handled").register(registry);
        this.app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.http.maxRequestSize = config.maxBodyBytes();
            c.http.prefer405over404 = true;
            c.jetty.modifyServer(server -> {
                // Counts requests until their responses are written (our own count ends when the
                // handler returns, before Javalin writes the result): stop() waits for both.
                server.setHandler(jettyRequests);
                // Jetty's own graceful stop as well: connectors stop accepting and connections
                // close once their responses are out, rather than at once, when stop() ends.
                server.setStopTimeout(config.shutdownGrace().toMillis());
                ErrorHandler quiet = new ErrorHandler();
                quiet.setShowStacks(false);
                quiet.setShowServlet(false);
                quiet.setShowMessageInTitle(false);
                server.setErrorHandler(quiet);
            });
            if (!config.corsOrigins().isEmpty()) {
                c.bundledPlugins.enableCors(cors -> cors.addRule(rule -> {
                    String first = config.corsOrigins().getFirst();
                    rule.allowHost(first, config.corsOrigins().subList(1, config.corsOrigins().size()).toArray(String[]::new));
                }));
            }
        });
        ClassifyRoutes classify = new ClassifyRoutes(config, models, batchers, policy);
        route(HandlerType.GET, "/healthz", "healthz", false, ctx -> JsonBody.send(ctx, 200, Map.of("status", "ok")));
        route(HandlerType.GET, "/readyz", "readyz", false, this::ready);
        route(HandlerType.GET, "/metrics", "metrics", true, ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                .result(registry.scrape()));
        route(HandlerType.GET, "/v1/models", "models", true, this::listModels);
        route(HandlerType.POST, "/v1/classify", "classify", true, classify::single);
        route(HandlerType.POST, "/v1/classify/batch", "classify_batch", true, classify::batch);
        GenerateRoutes generate = new GenerateRoutes(config, models, policy, generationLimit, registry);
        route(HandlerType.POST, "/v1/generate", "generate", true, generate::generate);
        route(HandlerType.POST, "/v1/completions", "completions", true, generate::completions);
        route(HandlerType.POST, "/v1/chat/completions", "chat_completions", true, generate::chat);
        Gauge.builder("supportlm.generation.active", generationLimit, ConcurrencyLimit::active)
                .description("generation requests holding a slot").register(registry);
        Gauge.builder("supportlm.generation.waiting", generationLimit, ConcurrencyLimit::waiting)
                .description("generation requests waiting for a slot").register(registry);
        app.exception(Exception.class, (e, ctx) -> {
            // Only reached for failures outside the route wrapper (Javalin internals): no details out.
            ErrorResponses.write(ctx, new ApiException(500, "server_error", null, "internal error"), "unknown");
        });
        app.error(404, ctx -> unmatched(ctx, "not_found_error", "no route " + ctx.method() + " " + ctx.path()));
        app.error(405, ctx -> unmatched(ctx, "invalid_request_error", "method " + ctx.method() + " is not allowed on " + ctx.path()));
    }

    /** Starts listening; {@link #port()} then tells the port. */
    public SupportServer start() {
        app.start(config.host(), config.port());
        started = true;
        return this;
    }

    public int port() {
        return app.port();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Requests being handled right now. */
    public int inFlight() {
        return inFlight.get();
    }

    private void route(HandlerType method, String path, String route, boolean authenticated, Handler handler) {
        app.addHttpHandler(method, path, ctx -> handle(ctx, route, authenticated, handler));
    }

    private void handle(Context ctx, String route, boolean authenticated, Handler handler) {
        long start = System.nanoTime();
        String requestId = requestId(ctx);
        ctx.attribute(HANDLED, true);
        ctx.header("X-Request-Id", requestId);
        ObjectNode log = accessLog.entry();
        log.put("request_id", requestId).put("method", ctx.method().name()).put("route", route).put("path", ctx.path())
                .put("client", ctx.ip());
        ctx.attribute(LOG, log);
        boolean probe = route.equals("healthz") || route.equals("readyz") || route.equals("metrics");
        inFlight.incrementAndGet();
        try {
            if (draining && !probe) {
                ctx.header("Connection", "close");
                throw new ApiException(503, "unavailable_error", null, "the server is shutting down");
            }
            if (authenticated && !apiKeys.accepts(ctx.header("Authorization"))) {
                ctx.header("WWW-Authenticate", "Bearer");
                throw new ApiException(401, "authentication_error", null,
                        ctx.header("Authorization") == null ? "missing API key: send 'Authorization: Bearer <key>'" : "invalid API key");
            }
            handler.handle(ctx);
        } catch (ApiException e) {
            ErrorResponses.write(ctx, e, requestId);
            log.put("error", e.getMessage());
        } catch (Exception | Error e) {
            ErrorResponses.write(ctx, new ApiException(500, "server_error", null, "internal error (request id " + requestId + ")"), requestId);
            log.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            inFlight.decrementAndGet();
            long nanos = System.nanoTime() - start;
            int status = ctx.statusCode();
            Timer.builder("http.server.requests").description("HTTP requests by route")
                    .tags("method", ctx.method().name(), "route", route, "status", Integer.toString(status))
                    .publishPercentileHistogram()
                    .register(registry).record(nanos, TimeUnit.NANOSECONDS);
            log.put("status", status).put("duration_ms", Math.round(nanos / 1e4) / 100.0)
                    .put("bytes_in", Math.max(0, ctx.req().getContentLengthLong()));
            accessLog.write(log);
        }
    }

    private void unmatched(Context ctx, String type, String message) {
        if (Boolean.TRUE.equals(ctx.attribute(HANDLED))) {
            return; // our own 404/405 answer, already written
        }
        String requestId = requestId(ctx);
        ctx.header("X-Request-Id", requestId);
        ErrorResponses.write(ctx, new ApiException(ctx.statusCode(), type, null, message), requestId);
        ObjectNode log = accessLog.entry();
        log.put("request_id", requestId).put("method", ctx.method().name()).put("route", "unmatched").put("path", ctx.path())
                .put("client", ctx.ip()).put("status", ctx.statusCode()).put("error", message);
        accessLog.write(log);
        registry.counter("http.server.unmatched", "status", Integer.toString(ctx.statusCode())).increment();
    }

    private static String requestId(Context ctx) {
        String given = ctx.header("X-Request-Id");
        return given != null && CLIENT_REQUEST_ID.matcher(given).matches() ? given : UUID.randomUUID().toString();
    }

    private void ready(Context ctx) {
        if (!started || draining) {
            JsonBody.send(ctx, 503, Map.of("status", draining ? "draining" : "starting"));
            return;
        }
        JsonBody.send(ctx, 200, Map.of("status", "ready", "models", models.names()));
    }

    private void listModels(Context ctx) {
        ObjectNode root = JsonBody.MAPPER.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        long created = 0; // models are loaded from files, not created by this server
        for (ServedModel m : models.all()) {
            ObjectNode n = data.addObject();
            n.put("id", m.name()).put("object", "model").put("created", created).put("owned_by", "supportlm");
            if (m.parent() != null) {
                n.put("parent", m.parent());
            } else {
                n.putNull("parent");
            }
            ArrayNode caps = n.putArray("capabilities");
            m.classification().ifPresent(c -> caps.add("classify"));
            m.generation().ifPresent(g -> caps.add("generate"));
            m.classification().ifPresent(c -> {
                ObjectNode tasks = n.putObject("tasks");
                c.tasks().forEach(t -> t.labels().forEach(tasks.withArray(t.name())::add));
            });
        }
        JsonBody.send(ctx, 200, root);
    }

    /** Graceful stop: refuse new work, let in-flight requests finish (up to the grace), stop. */
    public void stop() {
        draining = true;
        long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
        while ((inFlight.get() > 0 || jettyRequests.getRequestsActive() > 0) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        batchers.values().forEach(b -> b.close(left));
        app.stop();
        registry.close();
    }

    @Override
    public void close() {
        stop();
    }
}
