package io.agnes.bqmc.auth;

/** The authenticated caller of an API request. */
public record Principal(String user, Role role) {

    /** The exchange property the authenticator leaves for the routes. */
    public static final String PROPERTY = "bqmcPrincipal";

    /** The identity of a request carrying {@code SCHEDULER_API_TOKEN}. */
    public static final Principal SCHEDULER = new Principal("scheduler@system.local", Role.ADMIN);
}
