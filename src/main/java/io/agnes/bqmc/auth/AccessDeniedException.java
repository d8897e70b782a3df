package io.agnes.bqmc.auth;

/** A 403: authenticated, but not allowed to use this endpoint. */
public class AccessDeniedException extends RuntimeException {

    public static final String ADMIN_REQUIRED = "Admin access required";

    public AccessDeniedException() {
        super(ADMIN_REQUIRED, null, false, false);
    }
}
