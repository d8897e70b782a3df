package io.agnes.bqmc.demo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.db.DatabaseUrl;

/**
 * Prepares {@code --demo}: starts the {@link BigQueryStandIn}, writes the sample registry file,
 * and points the service at both and at its own database under {@code data/demo/}, so the
 * demo never touches a real system database. Sample tables are invented (project {@code agnes-demo}).
 */
public final class DemoEnvironment {

    static final Path DEMO_DIR = Path.of("data", "demo");

    private DemoEnvironment() {
    }

    /** Overlays the demo's settings on {@code environment}; timing settings the caller gave are kept. */
    public static BigQueryStandIn start(Map<String, String> environment) throws IOException {
        Files.createDirectories(DEMO_DIR);
        Path registry = DEMO_DIR.resolve("registry.yaml");
        try (InputStream in = DemoEnvironment.class.getResourceAsStream("/demo/registry.yaml")) {
            Files.copy(in, registry, StandardCopyOption.REPLACE_EXISTING);
        }
        BigQueryStandIn standIn = BigQueryStandIn.start();
        Path database = DEMO_DIR.resolve("system.duckdb");
        Path tokens = DEMO_DIR.resolve("tokens");
        // a fresh file each time: only the token printed below opens this demo
        Files.deleteIfExists(tokens);
        String adminToken = TokenIssuer.issue(tokens, "demo-admin@example.com", Role.ADMIN, null);
        environment.put("AGNES_TOKENS_FILE", tokens.toString());
        environment.put("BIGQUERY_API_URL", standIn.url().toString());
        environment.remove("GOOGLE_APPLICATION_CREDENTIALS");
        environment.put("AGNES_REGISTRY_FILE", registry.toString());
        environment.put("AGNES_DB_URL", "jdbc:duckdb:" + database);
        environment.put("BIGQUERY_PROJECT", "agnes-demo");
        environment.putIfAbsent("SCHEDULER_STARTUP_GRACE_SECONDS", "3");
        environment.putIfAbsent("SCHEDULER_BQ_METADATA_REFRESH_INTERVAL", "60");
        environment.putIfAbsent("BIGQUERY_RETRY_INITIAL_DELAY_MS", "250");
        // the demo has just written its registry file whole: the first run, 3 s in, finds its tables
        environment.putIfAbsent("AGNES_REGISTRY_FILE_STABLE_SECONDS", "1");
        // nothing routes to a demo through a load balancer: Ctrl+C stops it at once
        environment.putIfAbsent("SHUTDOWN_DRAIN_SECONDS", "0");

        String api = "http://localhost:" + environment.getOrDefault("PORT", "8080");
        // BigQuery's change events, pushed by the stand-in as Pub/Sub would: POST /demo/change
        String events = "http://127.0.0.1:" + environment.getOrDefault("PORT", "8080") + "/api/v2/metadata-cache/events";
        standIn.pushTo(java.net.URI.create(events));
        environment.put("BQMC_EVENTS_AUDIENCE", events);
        environment.put("BQMC_EVENTS_SERVICE_ACCOUNT", DemoPushes.ACCOUNT);
        environment.put("BQMC_EVENTS_CERTS_URL", standIn.certsUrl().toString());
        environment.putIfAbsent("BQMC_EVENTS_DEBOUNCE_SECONDS", "1");
        // DATABASE_URL wins, as always: the demo then runs on that PostgreSQL (without its credentials here)
        String platform = environment.get("DATABASE_URL");
        String shownDatabase = database.toString();
        if (platform != null && !platform.isBlank()) {
            try {
                shownDatabase = DatabaseUrl.parse(platform).toString();
            } catch (IllegalArgumentException invalid) {
                // the service says why with one WARN, and stays on the demo's own file
            }
        }
        System.out.printf("""

                bq-metadata-cache demo
                  BigQuery stand-in : %s (invented sample tables, project agnes-demo)
                  registry file     : %s (edit it: the service re-imports it %s s after your last write)
                  database          : %s (table bq_metadata_cache)
                  admin token       : %s (new for this demo; its hash is in %s)
                  first run in %s s, then every %s s; watch the 'bq metadata refresh' log lines.
                  status page       : %9$s/ (paste the admin token)

                  Try:
                    curl -s -H 'Authorization: Bearer %5$s' %9$s/api/v2/metadata-cache/status
                    curl -s -X POST -H 'Authorization: Bearer %5$s' %9$s/api/admin/run-bq-metadata-refresh
                    curl -s -X POST -H 'Authorization: Bearer %5$s' '%9$s/api/v2/metadata-cache/refresh?table=orders'
                    AGNES_SERVER=%9$s AGNES_TOKEN=%5$s java -jar target/bq-metadata-cache.jar run --follow
                  A change in BigQuery, announced as its audit log and Pub/Sub would (orders gains 100 rows,
                  fresh in the status a second later, no run needed):
                    curl -s -X POST '%1$s/demo/change?table=agnes-demo.sales.orders'
                  Ctrl+C to stop.

                """, standIn.url(), registry, environment.get("AGNES_REGISTRY_FILE_STABLE_SECONDS"), shownDatabase,
                adminToken, tokens,
                environment.get("SCHEDULER_STARTUP_GRACE_SECONDS"),
                environment.get("SCHEDULER_BQ_METADATA_REFRESH_INTERVAL"), api);
        return standIn;
    }
}
