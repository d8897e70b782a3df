package io.agnes.bqmc.events;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public keys that sign Pub/Sub's push tokens, as Google publishes them: fetched when first
 * needed, kept as long as the answer's {@code Cache-Control: max-age} says (Google rotates its
 * keys and publishes the next one before using it), fetched again early when a token names a key
 * we do not hold (at most once per {@link #REFETCH_GAP_NANOS}, so forged key ids cannot make us
 * hammer Google). When a fetch fails, keys already held go on serving until they are a day old.
 * Reads both of Google's formats: JWKS ({@code oauth2/v3/certs}) and the key-id-to-certificate
 * map ({@code oauth2/v1/certs}).
 */
public class SigningKeys {

    private static final Logger LOG = LoggerFactory.getLogger(SigningKeys.class);

    static final long DEFAULT_TTL_NANOS = Duration.ofHours(1).toNanos();
    static final long MAX_TTL_NANOS = Duration.ofHours(24).toNanos();
    static final long MIN_TTL_NANOS = Duration.ofMinutes(1).toNanos();
    static final long REFETCH_GAP_NANOS = Duration.ofSeconds(30).toNanos();

    private static final Pattern MAX_AGE = Pattern.compile("max-age\\s*=\\s*(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The keys could not be had: the push is answered 503, so Pub/Sub tries it again later. */
    public static final class Unavailable extends Exception {
        Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final URI location;
    private final HttpClient http;
    private final LongSupplier nanos;

    private Map<String, PublicKey> keys = Map.of();
    private long fetchedAt;
    private long expiresAt;
    private boolean fetched;

    public SigningKeys(URI location, LongSupplier nanos) {
        this.location = location;
        this.nanos = nanos;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    /**
     * The key of this id, or null when Google does not publish one under it.
     *
     * @throws Unavailable when the keys cannot be fetched and none held may serve
     */
    public synchronized PublicKey key(String kid) throws Unavailable {
        long now = nanos.getAsLong();
        boolean expired = !fetched || now - expiresAt >= 0;
        boolean unknown = !keys.containsKey(kid) && (!fetched || now - fetchedAt >= REFETCH_GAP_NANOS);
        if (expired || unknown) {
            try {
                fetch(now);
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                if (!fetched || now - fetchedAt >= MAX_TTL_NANOS) {
                    throw new Unavailable("the push token's signing keys cannot be fetched from " + location + ": " + e, e);
                }
                LOG.warn("cannot fetch the push token's signing keys from {} ({}): using those fetched {} s ago",
                        location, e.toString(), Duration.ofNanos(now - fetchedAt).toSeconds());
                // not again for a while: every push would otherwise wait on the same failure
                fetchedAt = now;
                expiresAt = now + REFETCH_GAP_NANOS;
            }
        }
        return keys.get(kid);
    }

    private void fetch(long now) throws IOException, GeneralSecurityException {
        HttpResponse<byte[]> answer;
        try {
            answer = http.send(HttpRequest.newBuilder(location).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (answer.statusCode() != 200) {
            throw new IOException("HTTP " + answer.statusCode());
        }
        Map<String, PublicKey> parsed = parse(JSON.readTree(answer.body()));
        if (parsed.isEmpty()) {
            throw new IOException("no RSA keys in the answer");
        }
        keys = parsed;
        fetched = true;
        fetchedAt = now;
        expiresAt = now + ttl(answer.headers().firstValue("Cache-Control").orElse(""));
        LOG.debug("push token signing keys fetched from {}: {}", location, parsed.keySet());
    }

    static long ttl(String cacheControl) {
        Matcher m = MAX_AGE.matcher(cacheControl);
        if (!m.find()) {
            return DEFAULT_TTL_NANOS;
        }
        long seconds = Long.parseLong(m.group(1).length() > 9 ? "999999999" : m.group(1));
        return Math.max(MIN_TTL_NANOS, Math.min(MAX_TTL_NANOS, Duration.ofSeconds(seconds).toNanos()));
    }

    /** Either format; keys of another type or use are skipped. */
    static Map<String, PublicKey> parse(JsonNode document) throws GeneralSecurityException {
        Map<String, PublicKey> out = new HashMap<>();
        if (document.has("keys")) {
            KeyFactory rsa = KeyFactory.getInstance("RSA");
            for (JsonNode jwk : document.get("keys")) {
                if (!"RSA".equals(jwk.path("kty").asText()) || !jwk.hasNonNull("kid")
                        || jwk.has("use") && !"sig".equals(jwk.path("use").asText())) {
                    continue;
                }
                BigInteger n = new BigInteger(1, Base64.getUrlDecoder().decode(jwk.path("n").asText()));
                BigInteger e = new BigInteger(1, Base64.getUrlDecoder().decode(jwk.path("e").asText()));
                out.put(jwk.get("kid").asText(), rsa.generatePublic(new RSAPublicKeySpec(n, e)));
            }
            return out;
        }
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        for (Iterator<Map.Entry<String, JsonNode>> it = document.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (entry.getValue().isTextual()) {
                PublicKey key = x509.generateCertificate(new ByteArrayInputStream(
                        entry.getValue().asText().getBytes(StandardCharsets.US_ASCII))).getPublicKey();
                if ("RSA".equals(key.getAlgorithm())) {
                    out.put(entry.getKey(), key);
                }
            }
        }
        return out;
    }
}
