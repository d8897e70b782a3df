package io.agnes.bqmc.config;

import java.net.URI;

/**
 * Refreshing on BigQuery's own change events (Cloud Logging audit entries pushed by a Pub/Sub
 * push subscription): on when {@code BQMC_EVENTS_AUDIENCE} and {@code BQMC_EVENTS_SERVICE_ACCOUNT}
 * are both set.
 *
 * @param audience        the {@code aud} the push subscription puts in its OIDC token
 * @param serviceAccount  the push subscription's service account: the token's {@code email}
 * @param certsUrl        where Google publishes the keys that sign the tokens
 * @param debounceSeconds events for one table within this long of its first make one lookup
 */
public record ChangeEvents(String audience, String serviceAccount, URI certsUrl, int debounceSeconds) {

    /** Google's signing keys, in JWKS form. */
    public static final URI GOOGLE_CERTS = URI.create("https://www.googleapis.com/oauth2/v3/certs");
}
