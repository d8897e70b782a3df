package io.agnes.bqmc.support;

import java.time.Instant;
import java.util.Map;

import io.agnes.bqmc.demo.PushKey;

/**
 * Plays Google for a test: an RSA key of its own, published in Google's JWKS format on a loopback
 * server ({@link WireMocks#publishKeys}), and push tokens signed with it carrying the claims Pub/Sub's have.
 */
public final class PushSigner {

    public static final String CERTS_PATH = "/oauth2/v3/certs";
    public static final String AUDIENCE = "https://bqmc.example.com/api/v2/metadata-cache/events";
    public static final String ACCOUNT = "bq-events-push@agnes-test.iam.gserviceaccount.com";

    private final PushKey key;

    public PushSigner(String kid) {
        this.key = new PushKey(kid);
    }

    /** The key set, as Google's {@code oauth2/v3/certs} answers. */
    public String jwks() {
        return key.jwks();
    }

    /** The environment that turns the events endpoint on with this signer's keys. */
    public Map<String, String> environment(String certsUrl) {
        return Map.of("BQMC_EVENTS_AUDIENCE", AUDIENCE, "BQMC_EVENTS_SERVICE_ACCOUNT", ACCOUNT,
                "BQMC_EVENTS_CERTS_URL", certsUrl);
    }

    /** The claims of a push token issued now, valid for an hour. */
    public static Map<String, Object> claims(Instant now) {
        return PushKey.claims(AUDIENCE, ACCOUNT, now);
    }

    public String token() {
        return token(claims(Instant.now()));
    }

    public String token(Map<String, Object> claims) {
        return key.token(claims);
    }

    public String token(Map<String, Object> header, Map<String, Object> claims) {
        return key.token(header, claims);
    }
}
