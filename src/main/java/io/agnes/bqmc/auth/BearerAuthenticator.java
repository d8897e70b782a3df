package io.agnes.bqmc.auth;

import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import io.agnes.bqmc.support.QueryString;
import java.util.function.Supplier;

import io.vertx.core.http.HttpServerRequest;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.apache.camel.Processor;

/**
 * The one place API requests are authenticated and authorized (contract section 6): runs
 * before every API route, leaves a {@link Principal} on the exchange, and removes the
 * Authorization header so the token travels no further.
 */
public class BearerAuthenticator implements Processor {

    /** What each API route requires; a route not listed here requires an admin (deny by default). */
    private final Map<String, Role> requiredRole;
    private final TokenFile tokens;
    private final byte[] schedulerTokenHash;
    private final Clock clock;

    /** @param schedulerToken {@code SCHEDULER_API_TOKEN}, or null when disabled */
    public BearerAuthenticator(TokenFile tokens, String schedulerToken, Map<String, Role> requiredRole, Clock clock) {
        this.tokens = tokens;
        this.schedulerTokenHash = schedulerToken == null ? null : TokenHashes.sha256(schedulerToken);
        this.requiredRole = Map.copyOf(requiredRole);
        this.clock = clock;
    }

    @Override
    public void process(Exchange exchange) {
        // Camel turns ?Authorization=... into the header of that name: credentials in a URL end up
        // in proxy and access logs, so such a request is refused whatever it carries
        if (credentialsInUrl(exchange)) {
            throw new AuthenticationFailedException(AuthenticationFailedException.IN_URL);
        }
        // Camel's header map also holds the query parameters, under names folded its own way
        // (?authorızation= posed as the header): the credentials come from the HTTP request itself
        exchange.getMessage().removeHeader("Authorization");
        Principal principal = authenticate(requestAuthorization(exchange));
        // known even when refused for its role: a 403 is audited and logged with the caller's name
        exchange.setProperty(Principal.PROPERTY, principal);
        Role required = requiredRole.getOrDefault(exchange.getFromRouteId(), Role.ADMIN);
        if (required == Role.ADMIN && principal.role() != Role.ADMIN) {
            throw new AccessDeniedException();
        }
    }

    /** The request's own {@code Authorization} header lines (ASCII names only, as HTTP has them); null without one. */
    static Object requestAuthorization(Exchange exchange) {
        HttpMessage http = exchange.getIn(HttpMessage.class);
        return http == null || http.getRequest() == null ? null : authorization(http.getRequest());
    }

    /** The header's value, the list when there are several, null without one. */
    private static Object authorization(HttpServerRequest request) {
        List<String> values = request.headers().getAll("Authorization");
        return values.isEmpty() ? null : values.size() == 1 ? values.get(0) : values;
    }

    private static boolean credentialsInUrl(Exchange exchange) {
        return credentialsInUrl(() -> QueryString.of(exchange));
    }

    private static boolean credentialsInUrl(Supplier<QueryString> query) {
        try {
            return query.get().names().stream().anyMatch(BearerAuthenticator::foldsToAuthorization);
        } catch (IllegalArgumentException badEncoding) {
            // a query Camel could not have mapped to a header either; the route answers for it
            return false;
        }
    }

    /**
     * For what the HTTP server answers itself, before any route (a request with a body, the
     * progress stream): null when the request's credentials authenticate, by the same rules as
     * {@link #process}, else the 401's detail.
     */
    public String refusal(HttpServerRequest request) {
        if (credentialsInUrl(() -> QueryString.parse(request.query()))) {
            return AuthenticationFailedException.IN_URL;
        }
        try {
            authenticate(authorization(request));
            return null;
        } catch (AuthenticationFailedException e) {
            return e.getMessage();
        }
    }

    /** Whether a name is "Authorization" under any case folding, Unicode's included (ı, İ). */
    static boolean foldsToAuthorization(String name) {
        return name.equalsIgnoreCase("Authorization")
                || name.toUpperCase(java.util.Locale.ROOT).equals("AUTHORIZATION")
                || name.toLowerCase(java.util.Locale.ROOT).equals("authorization");
    }

    Principal authenticate(Object header) {
        String token = bearerToken(header);
        byte[] hash = TokenHashes.sha256(token);
        // constant-time on the digests: the time taken says nothing about the scheduler secret
        if (schedulerTokenHash != null && MessageDigest.isEqual(hash, schedulerTokenHash)) {
            return Principal.SCHEDULER;
        }
        TokenFile.Entry entry = tokens.find(HexFormat.of().formatHex(hash));
        if (entry == null) {
            throw new AuthenticationFailedException(AuthenticationFailedException.UNKNOWN);
        }
        if (entry.expires() != null && !clock.instant().isBefore(entry.expires())) {
            throw new AuthenticationFailedException(AuthenticationFailedException.EXPIRED);
        }
        return new Principal(entry.user(), entry.role());
    }

    /** {@code Bearer <token>}, scheme case-insensitive, exactly one header, a non-empty token without spaces. */
    static String bearerToken(Object header) {
        if (header instanceof List<?> several) {
            header = several.size() == 1 ? several.get(0) : null;
        }
        if (!(header instanceof String value)) {
            throw new AuthenticationFailedException(AuthenticationFailedException.MISSING);
        }
        String v = value.strip();
        if (v.length() < 7 || !v.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new AuthenticationFailedException(AuthenticationFailedException.MISSING);
        }
        String token = v.substring(7).strip();
        if (token.isEmpty() || token.chars().anyMatch(c -> c <= ' ')) {
            throw new AuthenticationFailedException(AuthenticationFailedException.MISSING);
        }
        return token;
    }
}
