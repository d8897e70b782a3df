package io.agnes.bqmc.events;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Checks the OIDC token Pub/Sub puts in a push's {@code Authorization: Bearer} header, as
 * Google's "authenticate push subscriptions" recipe says: an RS256 signature by one of Google's
 * published keys ({@link SigningKeys}), either of Google's issuers, our audience, not expired, and
 * the push subscription's own service account as a verified {@code email}. Written here rather
 * than with google-auth-library's {@code TokenVerifier}: that one accepts a single issuer, checks
 * neither {@code email} nor {@code email_verified}, and keeps its keys in a process-wide cache
 * that never looks again for a key id it has not seen.
 */
public class PushTokens {

    /** Both forms Google writes in {@code iss}. */
    static final Set<String> ISSUERS = Set.of("accounts.google.com", "https://accounts.google.com");

    /** Clocks disagree a little: a token is taken this long before its {@code iat} and after its {@code exp}. */
    static final Duration SKEW = Duration.ofSeconds(60);

    /** Google's tokens are about 1 KB; anything far larger is not one, and is not parsed. */
    static final int MAX_TOKEN_CHARS = 16 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Why a token was refused: the 401's detail, and the refusal counter's reason. */
    public enum Refusal {
        MISSING("missing_token", "Missing bearer token"),
        MALFORMED("malformed_token", "The bearer token is not a signed JWT"),
        ALGORITHM("malformed_token", "The bearer token is not signed with RS256"),
        UNKNOWN_KEY("unknown_key", "The bearer token names a key Google does not publish"),
        SIGNATURE("bad_signature", "The bearer token's signature does not verify"),
        ISSUER("wrong_issuer", "The bearer token was not issued by Google"),
        AUDIENCE("wrong_audience", "The bearer token is for another audience"),
        ACCOUNT("wrong_account", "The bearer token is not the push subscription's service account"),
        EXPIRED("expired", "The bearer token has expired"),
        NOT_YET_VALID("not_yet_valid", "The bearer token is not valid yet");

        public final String reason;
        public final String detail;

        Refusal(String reason, String detail) {
            this.reason = reason;
            this.detail = detail;
        }
    }

    /** A token we do not take. */
    public static final class RefusedException extends Exception {
        private final Refusal refusal;

        RefusedException(Refusal refusal) {
            super(refusal.detail, null, false, false);
            this.refusal = refusal;
        }

        public Refusal refusal() {
            return refusal;
        }
    }

    private final String audience;
    private final String serviceAccount;
    private final SigningKeys keys;
    private final Clock clock;

    public PushTokens(String audience, String serviceAccount, SigningKeys keys, Clock clock) {
        this.audience = audience;
        this.serviceAccount = serviceAccount.toLowerCase(Locale.ROOT);
        this.keys = keys;
        this.clock = clock;
    }

    /**
     * Checks the {@code Authorization} header lines of a push.
     *
     * @throws RefusedException  when the token is not one the push subscription sent
     * @throws SigningKeys.Unavailable when Google's keys cannot be had to tell
     */
    public void check(List<String> authorization) throws RefusedException, SigningKeys.Unavailable {
        if (authorization == null || authorization.size() != 1) {
            throw new RefusedException(authorization == null || authorization.isEmpty() ? Refusal.MISSING : Refusal.MALFORMED);
        }
        String header = authorization.get(0).strip();
        if (header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new RefusedException(Refusal.MISSING);
        }
        check(header.substring(7).strip());
    }

    /** Checks one token. */
    public void check(String token) throws RefusedException, SigningKeys.Unavailable {
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new RefusedException(Refusal.MALFORMED);
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            throw new RefusedException(Refusal.MALFORMED);
        }
        JsonNode header = json(parts[0]);
        JsonNode claims = json(parts[1]);
        byte[] signature = base64Url(parts[2]);
        // the algorithm is ours to choose, never the token's: no "none", no HMAC with a public key
        if (!"RS256".equals(header.path("alg").asText()) || !header.path("kid").isTextual()) {
            throw new RefusedException(Refusal.ALGORITHM);
        }
        PublicKey key = keys.key(header.path("kid").asText());
        if (key == null) {
            throw new RefusedException(Refusal.UNKNOWN_KEY);
        }
        if (!verifies(key, (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII), signature)) {
            throw new RefusedException(Refusal.SIGNATURE);
        }
        if (!ISSUERS.contains(claims.path("iss").asText())) {
            throw new RefusedException(Refusal.ISSUER);
        }
        if (!audienceMatches(claims.path("aud"))) {
            throw new RefusedException(Refusal.AUDIENCE);
        }
        JsonNode verified = claims.path("email_verified");
        if (!serviceAccount.equals(claims.path("email").asText().toLowerCase(Locale.ROOT))
                || !(verified.asBoolean(false) || "true".equals(verified.asText()))) {
            throw new RefusedException(Refusal.ACCOUNT);
        }
        long now = clock.instant().getEpochSecond();
        if (!claims.path("exp").canConvertToLong() || now - SKEW.toSeconds() >= claims.path("exp").asLong()) {
            throw new RefusedException(Refusal.EXPIRED);
        }
        if (claims.path("iat").canConvertToLong() && claims.path("iat").asLong() > now + SKEW.toSeconds()) {
            throw new RefusedException(Refusal.NOT_YET_VALID);
        }
    }

    private boolean audienceMatches(JsonNode aud) {
        if (aud.isTextual()) {
            return audience.equals(aud.asText());
        }
        if (aud.isArray()) {
            for (JsonNode one : aud) {
                if (audience.equals(one.asText())) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean verifies(PublicKey key, byte[] signed, byte[] signature) {
        try {
            Signature rs256 = Signature.getInstance("SHA256withRSA");
            rs256.initVerify(key);
            rs256.update(signed);
            return rs256.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static JsonNode json(String part) throws RefusedException {
        try {
            JsonNode node = JSON.readTree(base64Url(part));
            if (node == null || !node.isObject()) {
                throw new RefusedException(Refusal.MALFORMED);
            }
            return node;
        } catch (java.io.IOException e) {
            throw new RefusedException(Refusal.MALFORMED);
        }
    }

    private static byte[] base64Url(String part) throws RefusedException {
        try {
            return Base64.getUrlDecoder().decode(part);
        } catch (IllegalArgumentException e) {
            throw new RefusedException(Refusal.MALFORMED);
        }
    }
}
