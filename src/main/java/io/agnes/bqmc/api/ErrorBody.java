package io.agnes.bqmc.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Every API error is {@code {"detail": ...}}: a text, or an object for the 409. */
public record ErrorBody(@JsonProperty("detail") Object detail) {
}
