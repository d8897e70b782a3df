package io.agnes.bqmc.demo;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A key that signs push tokens the way Google signs Pub/Sub's (RS256 JWTs), and its public half
 * in the JWKS form Google publishes: the demo's stand-in for Google's keys.
 */
public final class PushKey {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();

    /** The push account's numeric id, as {@code sub} and {@code azp} carry it. */
    private static final String SUBJECT = "104029292853099978293";

    private final String kid;
    private final KeyPair key;

    public PushKey(String kid) {
        this.kid = kid;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            this.key = generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public String kid() {
        return kid;
    }

    /** The public key, as Google's {@code oauth2/v3/certs} lists its keys. */
    public String jwks() {
        RSAPublicKey pub = (RSAPublicKey) key.getPublic();
        return "{\"keys\":[{\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"sig\",\"kid\":\"" + kid + "\",\"n\":\""
                + URL.encodeToString(unsigned(pub.getModulus().toByteArray())) + "\",\"e\":\""
                + URL.encodeToString(unsigned(pub.getPublicExponent().toByteArray())) + "\"}]}";
    }

    /**
     * The claims of a push token Pub/Sub issues now for {@code account}, valid for an hour, as
     * Google's documentation shows them (a map: tests change one to make it wrong).
     */
    public static Map<String, Object> claims(String audience, String account, Instant now) {
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("aud", audience);
        claims.put("azp", SUBJECT);
        claims.put("email", account);
        claims.put("email_verified", true);
        claims.put("exp", now.getEpochSecond() + 3600);
        claims.put("iat", now.getEpochSecond());
        claims.put("iss", "https://accounts.google.com");
        claims.put("sub", SUBJECT);
        return claims;
    }

    /** A JWT of these claims, signed with this key under these header fields (for tests: any header). */
    public String token(Map<String, Object> header, Map<String, Object> claims) {
        try {
            String signed = URL.encodeToString(JSON.writeValueAsBytes(header)) + "."
                    + URL.encodeToString(JSON.writeValueAsBytes(claims));
            Signature rs256 = Signature.getInstance("SHA256withRSA");
            rs256.initSign(key.getPrivate());
            rs256.update(signed.getBytes(StandardCharsets.US_ASCII));
            return signed + "." + URL.encodeToString(rs256.sign());
        } catch (GeneralSecurityException | JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A JWT of these claims, with the header Google writes. */
    public String token(Map<String, Object> claims) {
        return token(Map.of("alg", "RS256", "kid", kid, "typ", "JWT"), claims);
    }

    /** A JWK's numbers are unsigned big-endian: no sign byte. */
    private static byte[] unsigned(byte[] twosComplement) {
        if (twosComplement.length > 1 && twosComplement[0] == 0) {
            byte[] out = new byte[twosComplement.length - 1];
            System.arraycopy(twosComplement, 1, out, 0, out.length);
            return out;
        }
        return twosComplement;
    }
}
