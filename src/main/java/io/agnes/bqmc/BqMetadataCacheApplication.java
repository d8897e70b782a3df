package io.agnes.bqmc;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import io.agnes.bqmc.cli.TokensCommand;
import io.agnes.bqmc.config.ServiceMain;
import io.agnes.bqmc.demo.DemoEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** One jar, several commands; without a command it runs the service. */
@Command(name = "bq-metadata-cache", mixinStandardHelpOptions = true, versionProvider = Version.class,
        subcommands = TokensCommand.class,
        description = {
            "Keeps the BigQuery metadata cache (bq_metadata_cache) fresh for the analytics platform.",
            "Without a command, runs the service; configuration comes from the environment (see README)."})
public class BqMetadataCacheApplication implements Callable<Integer> {

    @Option(names = "--demo",
            description = "Run against a built-in local BigQuery stand-in with sample tables (no Google account needed).")
    boolean demo;

    @Override
    public Integer call() throws Exception {
        Map<String, String> environment = new HashMap<>(System.getenv());
        if (demo) {
            DemoEnvironment.start(environment);
        }
        ServiceMain.create(environment).run();
        return 0;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BqMetadataCacheApplication()).execute(args));
    }
}
