package io.agnes.bqmc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.config.SettingsLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Creates a bearer token: appends its SHA-256 line to the tokens file and prints the token
 * once. The token itself is never written anywhere else.
 */
@Command(name = "create", mixinStandardHelpOptions = true,
        description = {"Create a bearer token and append its hash to the tokens file.",
            "The token is printed once, on standard output; store it now."})
public class CreateTokenCommand implements Callable<Integer> {

    private static final Pattern RELATIVE = Pattern.compile("(\\d{1,6})([dhm])");
    private static final Pattern USER = Pattern.compile("[^\\s#\\p{Cntrl}]{1,200}");

    @Spec
    CommandSpec spec;

    @Option(names = "--user", required = true, description = "Who the token is for, e.g. ana@example.com.")
    String user;

    @Option(names = "--role", required = true, description = "admin or analyst.")
    String role;

    @Option(names = "--expires-in", description = "Lifetime such as 90d, 12h, 30m or P90D; default: never expires.")
    String expiresIn;

    @Option(names = "--file", description = "Tokens file; default: AGNES_TOKENS_FILE, else the service's default.")
    Path file;

    @Override
    public Integer call() {
        Role parsedRole = Role.parse(role);
        if (parsedRole == null) {
            throw new ParameterException(spec.commandLine(), "--role must be admin or analyst, not '" + role + "'");
        }
        if (!USER.matcher(user).matches()) {
            throw new ParameterException(spec.commandLine(),
                    "--user must be 1-200 characters without spaces, '#' or control characters");
        }
        Instant expires = expiresIn == null ? null : Instant.now().plus(lifetime(expiresIn)).truncatedTo(ChronoUnit.SECONDS);
        Path target = file != null ? file
                : new SettingsLoader(System.getenv(), SettingsLoader.classpathDefaults()).tokensFile();

        PrintWriter err = spec.commandLine().getErr();
        String token;
        try {
            token = TokenIssuer.issue(target, user, parsedRole, expires);
        } catch (IOException e) {
            // nothing was added: say where and why, in one line
            err.println("tokens create: cannot add a token to " + target + ": " + reason(e));
            err.flush();
            return 1;
        }

        err.printf("Token for %s (%s)%s added to %s. It is shown once:%n", user, parsedRole.wire(),
                expires == null ? "" : ", expires " + expires, target);
        err.flush();
        PrintWriter out = spec.commandLine().getOut();
        out.println(token);
        out.flush();
        return 0;
    }

    /** "Is a directory", "permission denied", ...: the operating system's words, not a stack trace. */
    static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private Duration lifetime(String text) {
        Matcher m = RELATIVE.matcher(text.toLowerCase(Locale.ROOT));
        Duration d = null;
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            d = switch (m.group(2)) {
                case "d" -> Duration.ofDays(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofMinutes(n);
            };
        } else {
            try {
                d = Duration.parse(text);
            } catch (DateTimeParseException ignored) {
                // reported below
            }
        }
        if (d == null || d.isNegative() || d.isZero()) {
            throw new ParameterException(spec.commandLine(),
                    "--expires-in must be a positive lifetime such as 90d, 12h, 30m or P90D, not '" + text + "'");
        }
        return d;
    }
}
