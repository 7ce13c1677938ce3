package dev.wschat.server.auth;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Decides which page origins may open a WebSocket. With no list every origin is allowed, as in the tutorial;
 * with a list, an {@code Origin} header must match an entry exactly (case-insensitively). A handshake without
 * an {@code Origin} header comes from a non-browser client, which could send any header it liked, and is allowed.
 */
public final class OriginPolicy {
    private final Set<String> allowed;

    /**
     * Creates the policy.
     *
     * @param allowed the allowed origins ({@code scheme://host[:port]} or {@code null}); empty allows all
     */
    public OriginPolicy(List<String> allowed) {
        this.allowed = Set.copyOf(Objects.requireNonNull(allowed, "allowed").stream()
                .map(o -> o.toLowerCase(Locale.ROOT)).toList());
    }

    /** Whether the policy restricts origins at all. */
    public boolean restricted() {
        return !allowed.isEmpty();
    }

    /**
     * Tells whether a handshake with this {@code Origin} header may proceed.
     *
     * @param origin the header value, or {@code null} when absent
     * @return {@code true} when allowed
     */
    public boolean allows(String origin) {
        if (allowed.isEmpty() || origin == null) {
            return true;
        }
        String o = origin.strip().toLowerCase(Locale.ROOT);
        if (o.endsWith("/")) {
            o = o.substring(0, o.length() - 1);
        }
        return allowed.contains(o);
    }
}
