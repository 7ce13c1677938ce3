package dev.wschat.server;

import dev.wschat.server.Checks.AtLeast;
import dev.wschat.server.Checks.AtMost;
import dev.wschat.server.Checks.MinBytes;
import dev.wschat.server.Checks.NotBlank;
import dev.wschat.server.Checks.Readable;
import dev.wschat.server.Checks.Shape;
import dev.wschat.server.chat.DmPolicy;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** The options of the Security section: token authentication, resume tokens and the origin allow-list. */
final class SecurityOptions {
    /** The environment variable that may hold the HS256 secret. */
    static final String JWT_SECRET_ENV = "WSCHAT_JWT_SECRET";
    /** The environment variable that may hold the resume-token key. */
    static final String SESSION_SECRET_ENV = "WSCHAT_SESSION_SECRET";

    /** Fewest bytes of an HS256 secret: the hash size, as RFC 7518 section 3.2 requires; resume keys too. */
    static final int MIN_SECRET_BYTES = 32;
    /** Longest {@code --resume-window}, in seconds. */
    static final int MAX_RESUME_WINDOW_SECONDS = 3_600;
    /** Most {@code --max-detached-sessions}. */
    static final int MAX_DETACHED_SESSIONS = 1_000_000;

    @Secret
    @MinBytes(value = MIN_SECRET_BYTES, purpose = "HS256")
    @Option(names = "--jwt-secret", paramLabel = "SECRET",
            description = "HS256 secret (at least " + MIN_SECRET_BYTES + " bytes); turns authentication on; "
                    + "prefer the " + JWT_SECRET_ENV + " environment variable")
    String jwtSecret;
    @Readable
    @Option(names = "--jwt-public-key", paramLabel = "FILE",
            description = "PEM file of RSA (RS256) or EC P-256 (ES256) public keys; turns authentication on")
    Path jwtPublicKeyFile;
    @Shape(CookieName.class)
    @Option(names = "--jwt-cookie", paramLabel = "NAME",
            description = "also read the token from this cookie; needs --allowed-origins")
    String jwtCookie;
    @Option(names = "--jwt-issuer", paramLabel = "ISS", description = "tokens must carry this iss claim")
    String jwtIssuer;
    @Option(names = "--jwt-audience", paramLabel = "AUD", description = "tokens must name this audience in aud")
    String jwtAudience;
    @NotBlank
    @Option(names = "--jwt-name-claim", paramLabel = "CLAIM", defaultValue = "name",
            description = "claim holding the user's display name")
    String jwtNameClaim;
    @AtLeast(0)
    @Option(names = "--jwt-clock-skew", paramLabel = "SECONDS", defaultValue = "30",
            description = "tolerance when checking exp and nbf")
    int jwtClockSkewSeconds;
    @AtLeast(1)
    @Option(names = "--auth-queue", paramLabel = "N", defaultValue = "4096",
            description = "token verifications waiting for a thread; past it HTTP 503")
    int authQueue;
    @Secret
    @MinBytes(MIN_SECRET_BYTES)
    @Option(names = "--session-secret", paramLabel = "SECRET",
            description = "key (at least " + MIN_SECRET_BYTES + " bytes) signing resume tokens; nodes behind "
                    + "one load balancer must share it; when unset, one node keeps a key of its own in --data-dir "
                    + "(random per process with --history none or --redis); prefer the "
                    + SESSION_SECRET_ENV + " environment variable")
    String sessionSecret;
    @Option(names = "--dm-policy", paramLabel = "POLICY", defaultValue = "anyone", converter = DmPolicyConverter.class,
            description = "who may send a direct message: anyone, shared-room (only to a user in a room the sender "
                    + "is in) or none (direct messages off); refused ones get the error forbidden")
    DmPolicy dmPolicy;
    @AtLeast(0)
    @AtMost(MAX_RESUME_WINDOW_SECONDS)
    @Option(names = "--resume-window", paramLabel = "SECONDS", defaultValue = "120",
            description = "how long a dropped session is kept for its resume token (at most "
                    + MAX_RESUME_WINDOW_SECONDS + "), 0 = resume off")
    int resumeWindowSeconds;
    @AtLeast(0)
    @AtMost(MAX_DETACHED_SESSIONS)
    @Option(names = "--max-detached-sessions", paramLabel = "N", defaultValue = "50000",
            description = "dropped sessions kept for a resume at once; past it a dropped session ends at once")
    int maxDetachedSessions;
    @Shape(Origins.class)
    @Option(names = "--allowed-origins", paramLabel = "LIST",
            description = "comma-separated origins allowed to open WebSockets, e.g. "
                    + "https://chat.example.com,null; others get 403; none given allows all")
    String allowedOrigins;

    /** Whether WebSocket handshakes need a token: a secret or a public key is configured. */
    boolean authEnabled() {
        return jwtSecret != null || jwtPublicKeyFile != null;
    }

    /** The origins of {@code --allowed-origins}, trimmed and lower case; empty allows all. */
    List<String> origins() {
        return origins(allowedOrigins);
    }

    private static List<String> origins(String list) {
        if (list == null) {
            return List.of();
        }
        List<String> clean = new ArrayList<>();
        for (String origin : list.split(",")) {
            String o = origin.strip().toLowerCase(Locale.ROOT);
            if (!o.isEmpty()) {
                clean.add(o);
            }
        }
        return List.copyOf(clean);
    }

    /** {@code --jwt-cookie}: a cookie name a browser sends back as it is. */
    static final class CookieName implements Checks.Rule {
        private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");

        @Override
        public String problem(Object value) {
            return NAME.matcher(value.toString()).matches() ? null
                    : "must be a cookie name of A-Z a-z 0-9 _ . -: " + value;
        }
    }

    /** {@code --allowed-origins}: each entry an origin as a browser sends it, or {@code null}. */
    static final class Origins implements Checks.Rule {
        private static final Pattern ORIGIN = Pattern.compile("https?://[a-z0-9.\\[\\]:-]+");

        @Override
        public String problem(Object value) {
            for (String origin : origins(value.toString())) {
                if (!"null".equals(origin) && !ORIGIN.matcher(origin).matches()) {
                    return "entries must be scheme://host[:port] or null, without path or trailing slash: '"
                            + origin + "'";
                }
            }
            return null;
        }
    }

    /** {@code --dm-policy}: the wire words, with a dash. */
    static final class DmPolicyConverter implements CommandLine.ITypeConverter<DmPolicy> {
        @Override
        public DmPolicy convert(String value) {
            return switch (value) {
                case "anyone" -> DmPolicy.ANYONE;
                case "shared-room" -> DmPolicy.SHARED_ROOM;
                case "none" -> DmPolicy.NONE;
                default -> throw new CommandLine.TypeConversionException("expected anyone, shared-room or none: "
                        + value);
            };
        }
    }
}
