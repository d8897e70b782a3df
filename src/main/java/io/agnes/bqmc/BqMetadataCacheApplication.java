package io.agnes.bqmc;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;

import io.agnes.bqmc.api.ApiHttpServer;
import io.agnes.bqmc.cli.DbCommand;
import io.agnes.bqmc.cli.Json;
import io.agnes.bqmc.cli.RunCommand;
import io.agnes.bqmc.cli.StatusCommand;
import io.agnes.bqmc.cli.TokensCommand;
import io.agnes.bqmc.config.Settings;
import io.agnes.bqmc.config.SettingsLoader;
import io.agnes.bqmc.demo.DemoEnvironment;
import org.apache.camel.main.Main;
import io.agnes.bqmc.support.LogFormat;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** One jar, several commands; without a command it runs the service. */
@Command(name = "bq-metadata-cache", mixinStandardHelpOptions = true, versionProvider = Version.class,
        subcommands = {TokensCommand.class, StatusCommand.class, RunCommand.class, DbCommand.class},
        description = {
            "Keeps the BigQuery metadata cache (bq_metadata_cache) fresh for the analytics platform.",
            "Without a command, runs the service; configuration comes from the environment (see README)."})
public class BqMetadataCacheApplication implements Callable<Integer> {

    @Option(names = "--demo",
            description = "Run against a built-in local BigQuery stand-in with sample tables (no Google account needed).")
    boolean demo;

    @Override
    public Integer call() throws Exception {
        return serve();
    }

    /** Runs the service until it is stopped: 0 after a stop, 1 when it cannot start. */
    int serve() {
        Map<String, String> environment = new HashMap<>(System.getenv());
        try {
            if (demo) {
                DemoEnvironment.start(environment);
            }
            Settings settings = new SettingsLoader(environment, SettingsLoader.classpathDefaults()).load();
            Main main = ServiceMain.create(settings);
            Shutdown shutdown = new Shutdown(main, settings.shutdownDrainSeconds());
            stopOn(shutdown, "TERM");
            stopOn(shutdown, "INT");
            main.run();
        } catch (Exception e) {
            System.err.println("bq-metadata-cache: cannot start: " + rootMessage(e));
            return 1;
        }
        return 0;
    }

    /**
     * A stop signal ends the service gracefully and the process exits 0: the JVM's default
     * handler would run the same shutdown but exit 128+signal, which supervisors read as a crash.
     */
    @SuppressWarnings("restriction")
    private static void stopOn(Shutdown shutdown, String signal) {
        sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> shutdown.begin());
    }

    /**
     * The stop as a load balancer needs it: readiness DOWN at once, requests still served for
     * {@code SHUTDOWN_DRAIN_SECONDS}, then Camel's graceful stop. A second signal stops at once.
     */
    static final class Shutdown {
        private final Main main;
        private final int drainSeconds;
        private final java.util.concurrent.atomic.AtomicInteger signals = new java.util.concurrent.atomic.AtomicInteger();
        /** Holds the drain's end while it runs; a second signal drops it, so the stop does not wait for it. */
        private volatile ScheduledExecutorService drain;

        Shutdown(Main main, int drainSeconds) {
            this.main = main;
            this.drainSeconds = drainSeconds;
        }

        void begin() {
            if (signals.getAndIncrement() > 0 || drainSeconds == 0) {
                ScheduledExecutorService pending = drain;
                if (pending != null) {
                    main.getCamelContext().getExecutorServiceManager().shutdownNow(pending);
                }
                main.completed();
                return;
            }
            ApiHttpServer api = main.getCamelContext() == null ? null
                    : main.getCamelContext().getRegistry().lookupByNameAndType("apiHttpServer", ApiHttpServer.class);
            if (api == null) {
                main.completed();
                return;
            }
            api.drain();
            LoggerFactory.getLogger(BqMetadataCacheApplication.class).info(
                    "stop requested: readiness is DOWN, requests are served for {} s more (SHUTDOWN_DRAIN_SECONDS)",
                    drainSeconds);
            drain = main.getCamelContext().getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "bqmc-drain");
            drain.schedule(main::completed, drainSeconds, TimeUnit.SECONDS);
        }
    }

    /** Our own start failures (database, configuration) say what and why; wrappers add nothing. */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (true) {
            if (t instanceof java.sql.SQLException && t.getMessage() != null) {
                return t.getMessage();
            }
            if (t.getCause() == null || t.getCause() == t) {
                return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            }
            t = t.getCause();
        }
    }

    public static void main(String[] args) {
        // the platform CLI's commands start on their own: picocli then sets up one command, not
        // the service's whole tree (a third of the time to the first line of output)
        if (args.length > 0 && (args[0].equals("status") || args[0].equals("run"))) {
            Json.prepare();
            Object command = args[0].equals("status") ? new StatusCommand() : new RunCommand();
            System.exit(new CommandLine(command).setCommandName("bq-metadata-cache " + args[0])
                    .execute(java.util.Arrays.copyOfRange(args, 1, args.length)));
        }
        // before any logger exists: the log format is chosen once
        String logFormatProblem = LogFormat.configure(System.getenv());
        if (logFormatProblem != null) {
            LoggerFactory.getLogger(BqMetadataCacheApplication.class).warn(logFormatProblem);
        }
        // the service's own start (no arguments, or --demo) needs no parser: picocli's set-up of the
        // whole command tree was a quarter of a second of every start (docs/BENCHMARKS.md, B6)
        if (args.length == 0 || (args.length == 1 && args[0].equals("--demo"))) {
            BqMetadataCacheApplication service = new BqMetadataCacheApplication();
            service.demo = args.length == 1;
            System.exit(service.serve());
        }
        System.exit(new CommandLine(new BqMetadataCacheApplication()).execute(args));
    }
}
