package io.agnes.bqmc.auth;

/** A 401: the message is the contract's {@code detail} text and never contains the token. */
public class AuthenticationFailedException extends RuntimeException {

    public static final String MISSING = "Missing or invalid Authorization header";
    public static final String UNKNOWN = "Token unknown";
    public static final String EXPIRED = "Token expired";
    public static final String IN_URL = "Credentials are accepted only in the Authorization header, never in the URL";

    public AuthenticationFailedException(String detail) {
        super(detail, null, false, false);
    }
}
