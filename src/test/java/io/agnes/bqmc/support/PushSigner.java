package io.agnes.bqmc.support;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Plays Google for a test: an RSA key of its own, published in Google's JWKS format on a loopback
 * server ({@link WireMocks#publishKeys}), and push tokens signed with it carrying the claims Pub/Sub's have.
 */
public final class PushSigner {

    public static final String CERTS_PATH = "/oauth2/v3/certs";
    public static final String AUDIENCE = "https://bqmc.example.com/api/v2/metadata-cache/events";
    public static final String ACCOUNT = "bq-events-push@agnes-test.iam.gserviceaccount.com";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();

    private final KeyPair key;
    private final String kid;

    public PushSigner(String kid) {
        this.kid = kid;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            this.key = generator.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key set, as Google's {@code oauth2/v3/certs} answers. */
    public String jwks() {
        RSAPublicKey pub = (RSAPublicKey) key.getPublic();
        return "{\"keys\":[{\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"sig\",\"kid\":\"" + kid + "\",\"n\":\""
                + URL.encodeToString(unsigned(pub.getModulus().toByteArray())) + "\",\"e\":\""
                + URL.encodeToString(unsigned(pub.getPublicExponent().toByteArray())) + "\"}]}";
    }

    /** The environment that turns the events endpoint on with this signer's keys. */
    public Map<String, String> environment(String certsUrl) {
        return Map.of("BQMC_EVENTS_AUDIENCE", AUDIENCE, "BQMC_EVENTS_SERVICE_ACCOUNT", ACCOUNT,
                "BQMC_EVENTS_CERTS_URL", certsUrl);
    }

    /** The claims of a push token issued now, valid for an hour. */
    public static Map<String, Object> claims(Instant now) {
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("aud", AUDIENCE);
        claims.put("azp", "104029292853099978293");
        claims.put("email", ACCOUNT);
        claims.put("email_verified", true);
        claims.put("exp", now.getEpochSecond() + 3600);
        claims.put("iat", now.getEpochSecond());
        claims.put("iss", "https://accounts.google.com");
        claims.put("sub", "104029292853099978293");
        return claims;
    }

    public String token() {
        return token(claims(Instant.now()));
    }

    public String token(Map<String, Object> claims) {
        return token(Map.of("alg", "RS256", "kid", kid, "typ", "JWT"), claims);
    }

    public String token(Map<String, Object> header, Map<String, Object> claims) {
        try {
            String signed = URL.encodeToString(JSON.writeValueAsBytes(header)) + "."
                    + URL.encodeToString(JSON.writeValueAsBytes(claims));
            Signature rs256 = Signature.getInstance("SHA256withRSA");
            rs256.initSign(key.getPrivate());
            rs256.update(signed.getBytes(StandardCharsets.US_ASCII));
            return signed + "." + URL.encodeToString(rs256.sign());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] unsigned(byte[] twosComplement) {
        if (twosComplement.length > 1 && twosComplement[0] == 0) {
            byte[] out = new byte[twosComplement.length - 1];
            System.arraycopy(twosComplement, 1, out, 0, out.length);
            return out;
        }
        return twosComplement;
    }
}
