package io.agnes.bqmc.cli;

import picocli.CommandLine.Command;

/** Groups the database commands; {@code db init-platform} is the one there is. */
@Command(name = "db", mixinStandardHelpOptions = true, subcommands = InitPlatformCommand.class,
        description = "Prepare the database the service runs against.")
public class DbCommand {
}
