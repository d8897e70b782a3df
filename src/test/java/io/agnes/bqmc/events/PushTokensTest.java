package io.agnes.bqmc.events;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.support.AuditEvents;
import io.agnes.bqmc.support.PushSigner;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The push token check, against a real Google-signed token (from google-auth-library-java's own
 * tests, with the key sets that verify it, served in both of Google's formats from a loopback
 * server) and against tokens a test key signs.
 */
class PushTokensTest {

    private static final JsonNode GOOGLE = AuditEvents.read("oidc_google_signed_id_token.json");
    /** Inside the real token's [iat, exp]. */
    private static final Clock IN_ITS_HOUR = Clock.fixed(Instant.ofEpochSecond(1587626288 + 600), ZoneOffset.UTC);
    private static final String ITS_AUDIENCE = "https://example.com/path";
    private static final String ITS_ACCOUNT = "integration-tests@chingor-test.iam.gserviceaccount.com";

    private WireMockServer google;
    private final AtomicLong nanos = new AtomicLong();

    @BeforeEach
    void start() {
        google = WireMocks.startBigQuery();
        google.stubFor(get(urlPathEqualTo("/oauth2/v3/certs")).willReturn(aResponse().withStatus(200)
                .withHeader("Cache-Control", "public, max-age=22337, must-revalidate, no-transform")
                .withBody(GOOGLE.get("jwks_v3_certs").toString())));
        google.stubFor(get(urlPathEqualTo("/oauth2/v1/certs")).willReturn(aResponse().withStatus(200)
                .withBody(GOOGLE.get("pem_v1_certs").toString())));
    }

    @AfterEach
    void stop() {
        google.stop();
    }

    private PushTokens verifier(String path, String audience, String account, Clock clock) {
        return new PushTokens(audience, account, new SigningKeys(URI.create(google.baseUrl() + path), nanos::get), clock);
    }

    @Test
    void aRealGoogleTokenVerifiesAgainstEitherKeyFormat() {
        String token = GOOGLE.get("token").asText();
        for (String path : List.of("/oauth2/v3/certs", "/oauth2/v1/certs")) {
            assertThatCode(() -> verifier(path, ITS_AUDIENCE, ITS_ACCOUNT, IN_ITS_HOUR).check(List.of("Bearer " + token)))
                    .as(path).doesNotThrowAnyException();
        }
    }

    @Test
    void aRealGoogleTokenIsRefusedForAnythingItIsNot() {
        String token = GOOGLE.get("token").asText();
        PushTokens ours = verifier("/oauth2/v3/certs", ITS_AUDIENCE, ITS_ACCOUNT, IN_ITS_HOUR);
        // one byte of the claims changed: the signature no longer covers them
        String[] parts = token.split("\\.");
        char flipped = parts[1].charAt(10) == 'A' ? 'B' : 'A';
        String tampered = parts[0] + "." + parts[1].substring(0, 10) + flipped + parts[1].substring(11) + "." + parts[2];
        assertRefused(ours, tampered, PushTokens.Refusal.SIGNATURE, PushTokens.Refusal.MALFORMED);
        String badSignature = parts[0] + "." + parts[1] + "." + parts[2].substring(0, 20)
                + (parts[2].charAt(20) == 'A' ? 'B' : 'A') + parts[2].substring(21);
        assertRefused(ours, badSignature, PushTokens.Refusal.SIGNATURE);
        assertRefused(verifier("/oauth2/v3/certs", "https://other.example.com", ITS_ACCOUNT, IN_ITS_HOUR), token,
                PushTokens.Refusal.AUDIENCE);
        assertRefused(verifier("/oauth2/v3/certs", ITS_AUDIENCE, "someone-else@chingor-test.iam.gserviceaccount.com",
                IN_ITS_HOUR), token, PushTokens.Refusal.ACCOUNT);
        Clock afterExpiry = Clock.fixed(Instant.ofEpochSecond(1587629888 + 61), ZoneOffset.UTC);
        assertRefused(verifier("/oauth2/v3/certs", ITS_AUDIENCE, ITS_ACCOUNT, afterExpiry), token, PushTokens.Refusal.EXPIRED);
        // a little clock skew is allowed either way
        Clock justAfter = Clock.fixed(Instant.ofEpochSecond(1587629888 + 30), ZoneOffset.UTC);
        assertThatCode(() -> verifier("/oauth2/v3/certs", ITS_AUDIENCE, ITS_ACCOUNT, justAfter).check(token))
                .doesNotThrowAnyException();
        Clock longBefore = Clock.fixed(Instant.ofEpochSecond(1587626288 - 3600), ZoneOffset.UTC);
        assertRefused(verifier("/oauth2/v3/certs", ITS_AUDIENCE, ITS_ACCOUNT, longBefore), token,
                PushTokens.Refusal.NOT_YET_VALID);
    }

    @Test
    void onlyRs256ByAPublishedKeyFromGoogleForAVerifiedAccount() {
        PushSigner signer = new PushSigner("test-key-1");
        String certs = WireMocks.publishKeys(google, signer);
        Clock now = Clock.systemUTC();
        PushTokens ours = new PushTokens(PushSigner.AUDIENCE, PushSigner.ACCOUNT,
                new SigningKeys(URI.create(certs), nanos::get), now);
        assertThatCode(() -> ours.check(List.of("Bearer " + signer.token()))).doesNotThrowAnyException();
        assertThatCode(() -> ours.check(List.of("bearer  " + signer.token()))).doesNotThrowAnyException();

        Map<String, Object> claims = PushSigner.claims(now.instant());
        claims.put("iss", "accounts.google.com");
        assertThatCode(() -> ours.check(signer.token(claims))).doesNotThrowAnyException();
        claims.put("iss", "https://evil.example.com");
        assertRefused(ours, signer.token(claims), PushTokens.Refusal.ISSUER);

        Map<String, Object> unverified = PushSigner.claims(now.instant());
        unverified.put("email_verified", false);
        assertRefused(ours, signer.token(unverified), PushTokens.Refusal.ACCOUNT);
        Map<String, Object> noEmail = PushSigner.claims(now.instant());
        noEmail.remove("email");
        assertRefused(ours, signer.token(noEmail), PushTokens.Refusal.ACCOUNT);
        Map<String, Object> listAudience = PushSigner.claims(now.instant());
        listAudience.put("aud", List.of("x", PushSigner.AUDIENCE));
        assertThatCode(() -> ours.check(signer.token(listAudience))).doesNotThrowAnyException();
        Map<String, Object> noExpiry = PushSigner.claims(now.instant());
        noExpiry.remove("exp");
        assertRefused(ours, signer.token(noExpiry), PushTokens.Refusal.EXPIRED);

        // the algorithm is never the token's to choose
        String claimsPart = signer.token().split("\\.")[1];
        String none = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                "{\"alg\":\"none\",\"kid\":\"test-key-1\"}".getBytes()) + "." + claimsPart + ".";
        assertRefused(ours, none, PushTokens.Refusal.ALGORITHM);
        assertRefused(ours, signer.token(Map.of("alg", "HS256", "kid", "test-key-1"), PushSigner.claims(now.instant())),
                PushTokens.Refusal.ALGORITHM);
        // another key, unpublished, under the same id
        assertRefused(ours, new PushSigner("test-key-1").token(), PushTokens.Refusal.SIGNATURE);

        assertRefused(ours, List.of(), PushTokens.Refusal.MISSING);
        assertRefused(ours, List.of("Basic dXNlcjpwYXNz"), PushTokens.Refusal.MISSING);
        assertRefused(ours, List.of("Bearer " + signer.token(), "Bearer " + signer.token()), PushTokens.Refusal.MALFORMED);
        assertRefused(ours, "a.b", PushTokens.Refusal.MALFORMED);
        assertRefused(ours, "!!!.???.***", PushTokens.Refusal.MALFORMED);
        assertRefused(ours, "x".repeat(20_000), PushTokens.Refusal.MALFORMED);
    }

    @Test
    void aRotatedKeyIsFetchedWhenATokenNamesItButForgedIdsDoNotHammerGoogle() throws Exception {
        PushSigner before = new PushSigner("key-before");
        String certs = WireMocks.publishKeys(google, before);
        PushTokens ours = new PushTokens(PushSigner.AUDIENCE, PushSigner.ACCOUNT,
                new SigningKeys(URI.create(certs), nanos::get), Clock.systemUTC());
        ours.check(before.token());
        ours.check(before.token());
        google.verify(1, getRequestedFor(urlPathEqualTo(PushSigner.CERTS_PATH)));

        // Google publishes the next key; a token signed with it arrives before our cache expires
        PushSigner after = new PushSigner("key-after");
        WireMocks.publishKeys(google, after);
        nanos.addAndGet(SigningKeys.REFETCH_GAP_NANOS);
        ours.check(after.token());
        google.verify(2, getRequestedFor(urlPathEqualTo(PushSigner.CERTS_PATH)));

        // unknown ids in a burst: one fetch per gap at most
        for (int i = 0; i < 50; i++) {
            Map<String, Object> header = new HashMap<>(Map.of("alg", "RS256", "kid", "forged-" + i));
            assertRefused(ours, after.token(header, PushSigner.claims(Instant.now())), PushTokens.Refusal.UNKNOWN_KEY);
        }
        google.verify(2, getRequestedFor(urlPathEqualTo(PushSigner.CERTS_PATH)));
    }

    @Test
    void keysThatCannotBeFetchedAreUnavailableNotARefusalAndHeldKeysServeThroughAnOutage() throws Exception {
        PushSigner signer = new PushSigner("k");
        PushTokens nowhere = new PushTokens(PushSigner.AUDIENCE, PushSigner.ACCOUNT,
                new SigningKeys(URI.create(google.baseUrl() + "/missing"), nanos::get), Clock.systemUTC());
        assertThatThrownBy(() -> nowhere.check(signer.token())).isInstanceOf(SigningKeys.Unavailable.class);

        String certs = WireMocks.publishKeys(google, signer);
        PushTokens ours = new PushTokens(PushSigner.AUDIENCE, PushSigner.ACCOUNT,
                new SigningKeys(URI.create(certs), nanos::get), Clock.systemUTC());
        ours.check(signer.token());
        google.resetAll();
        nanos.addAndGet(SigningKeys.DEFAULT_TTL_NANOS * 6); // past max-age: fetched again, and that fails
        ours.check(signer.token());
        nanos.addAndGet(SigningKeys.MAX_TTL_NANOS);
        assertThatThrownBy(() -> ours.check(signer.token())).isInstanceOf(SigningKeys.Unavailable.class);
    }

    @Test
    void cacheLifetimeFollowsMaxAgeWithinBounds() {
        assertThat(SigningKeys.ttl("public, max-age=22337, must-revalidate")).isEqualTo(22_337_000_000_000L);
        assertThat(SigningKeys.ttl("")).isEqualTo(SigningKeys.DEFAULT_TTL_NANOS);
        assertThat(SigningKeys.ttl("max-age=1")).isEqualTo(SigningKeys.MIN_TTL_NANOS);
        assertThat(SigningKeys.ttl("max-age=99999999999999")).isEqualTo(SigningKeys.MAX_TTL_NANOS);
    }

    private static void assertRefused(PushTokens tokens, String token, PushTokens.Refusal... oneOf) {
        assertRefused(tokens, List.of("Bearer " + token), oneOf);
    }

    private static void assertRefused(PushTokens tokens, List<String> header, PushTokens.Refusal... oneOf) {
        assertThatThrownBy(() -> tokens.check(header)).isInstanceOf(PushTokens.RefusedException.class)
                .extracting(e -> ((PushTokens.RefusedException) e).refusal()).isIn((Object[]) oneOf);
    }
}
