package io.agnes.bqmc.cli;

import picocli.CommandLine.Command;

/** Groups the token commands; {@code tokens create} is the one there is. */
@Command(name = "tokens", mixinStandardHelpOptions = true, subcommands = CreateTokenCommand.class,
        description = "Manage the bearer tokens of AGNES_TOKENS_FILE.")
public class TokensCommand {
}
