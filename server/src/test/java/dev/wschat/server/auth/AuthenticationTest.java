package dev.wschat.server.auth;

import com.google.gson.JsonObject;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.wschat.protocol.CloseCodes;
import dev.wschat.server.metrics.ServerMetrics.Reason;
import dev.wschat.server.testing.RunningServer;
import dev.wschat.server.testing.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Token authentication at the handshake, observed by a real JDK WebSocket client: who gets in, as whom, and for how long. */
class AuthenticationTest {
    private static final String[] HS256 = {"--jwt-secret", TestTokens.SECRET};

    @RegisterExtension
    final RunningServer server = RunningServer.startedByEachTest();

    @TempDir
    Path dir;

    private void start(String... options) {
        server.startWith(options);
    }

    /** Starts with HS256 tokens and {@code more} options. */
    private void hs256(String... more) {
        List<String> options = new ArrayList<>(List.of(HS256));
        options.addAll(List.of(more));
        start(options.toArray(String[]::new));
    }

    private URI ws(String query) {
        return server.ws("/ws" + query);
    }

    private URI withToken(String token) {
        return ws("?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
    }

    private TestClient connect(URI uri, Map<String, String> headers) {
        return server.connect(TestClient.to(uri).subprotocol(TestClient.V2).headers(headers));
    }

    private TestClient connect(URI uri) {
        return connect(uri, Map.of());
    }

    /** A connection signed in as {@code sub} (HS256, valid 5 minutes), its welcome read. */
    private TestClient signedIn(String sub, String name) throws Exception {
        TestClient client = connect(withToken(TestTokens.hs256(sub, name, Duration.ofMinutes(5))));
        client.welcome();
        return client;
    }

    private static void assertUnauthorized(TestClient client) {
        assertThat(client.awaitClose()).isEqualTo(new TestClient.Close(CloseCodes.UNAUTHORIZED, "Unauthorized"));
        assertThat(client.pending()).as("no chat message before the close").isZero();
    }

    @Test
    void withoutSettingsAnyoneConnectsAnonymously() throws Exception {
        start();
        JsonObject welcome = connect(ws("")).welcome();
        assertThat(welcome.get("clientId").getAsString()).matches("[0-9a-f-]{36}");
        assertThat(welcome.get("username").getAsString()).startsWith("User-");
    }

    @Test
    void queryTokenGivesTheSessionItsIdAndName() throws Exception {
        hs256();
        JsonObject welcome = connect(withToken(TestTokens.hs256("alice-42", "Alice", Duration.ofMinutes(5)))).welcome();
        assertThat(welcome.get("clientId").getAsString()).isEqualTo("alice-42");
        assertThat(welcome.get("username").getAsString()).isEqualTo("Alice");
    }

    @Test
    void theTutorialsClientConnectsAtTheRootWithATokenInTheQuery() throws Exception {
        hs256();
        String token = TestTokens.hs256("alice-42", "Alice", Duration.ofMinutes(5));
        URI root = server.ws("?token=" + token);
        try (TestClient tutorial = TestClient.tutorial(root);
             TestClient anonymous = TestClient.tutorial(server.ws("/"))) {
            assertThat(TestClient.str(tutorial.next(), "message")).isEqualTo("Welcome! You are connected as Alice");
            assertThat(anonymous.awaitCloseCode()).isEqualTo(CloseCodes.UNAUTHORIZED);
            assertThat(anonymous.closeReason()).isEqualTo("Unauthorized");
        }
    }

    @Test
    void bearerHeaderIsAccepted() throws Exception {
        hs256();
        String token = TestTokens.hs256("bob", "Bob", Duration.ofMinutes(5));
        JsonObject welcome = connect(ws(""), Map.of("Authorization", "Bearer " + token)).welcome();
        assertThat(welcome.get("clientId").getAsString()).isEqualTo("bob");
    }

    @Test
    void cookieIsReadWhenConfiguredWithAnOriginAllowList() throws Exception {
        hs256("--jwt-cookie", "wschat_token", "--allowed-origins", "http://chat.test");
        String token = TestTokens.hs256("carol", "Carol", Duration.ofMinutes(5));
        JsonObject welcome = connect(ws(""), Map.of("Cookie", "theme=dark; wschat_token=" + token,
                "Origin", "http://chat.test")).welcome();
        assertThat(welcome.get("clientId").getAsString()).isEqualTo("carol");
    }

    @Test
    void cookieIsIgnoredWhenNotConfigured() throws Exception {
        hs256();
        String token = TestTokens.hs256("carol", "Carol", Duration.ofMinutes(5));
        assertUnauthorized(connect(ws(""), Map.of("Cookie", "wschat_token=" + token)));
    }

    @Test
    void missingTokenIsClosed4001AndCounted() throws Exception {
        hs256();
        assertUnauthorized(connect(ws("")));
        assertUnauthorized(connect(ws("?token=")));
        assertThat(server.rejections(Reason.AUTH_FAILED)).isEqualTo(2.0);
        assertThat(server.metric("wschat_connections_opened_total")).as("refused clients never became sessions")
                .isZero();
    }

    @Test
    void tokenSignedWithAnotherSecretIsClosed4001() throws Exception {
        hs256();
        String forged = TestTokens.hs256("mallory-secret-0123456789-abcdefghij",
                TestTokens.claims("alice-42", "Alice", Duration.ofMinutes(5)).build());
        assertUnauthorized(connect(withToken(forged)));
        assertThat(server.rejections(Reason.AUTH_FAILED)).isEqualTo(1.0);
    }

    @Test
    void tamperedPayloadIsClosed4001() throws Exception {
        hs256();
        String[] parts = TestTokens.hs256("alice-42", "Alice", Duration.ofMinutes(5)).split("\\.");
        String otherPayload = TestTokens.hs256("root", "Root", Duration.ofMinutes(5)).split("\\.")[1];
        assertUnauthorized(connect(withToken(parts[0] + "." + otherPayload + "." + parts[2])));
    }

    @Test
    void expiredTokenIsClosed4001() throws Exception {
        hs256();
        assertUnauthorized(connect(withToken(TestTokens.hs256("alice-42", "Alice", Duration.ofMinutes(-2)))));
    }

    @Test
    void tokenNotYetValidIsClosed4001() throws Exception {
        hs256();
        JWTClaimsSet early = TestTokens.claims("alice-42", "Alice", Duration.ofMinutes(10))
                .notBeforeTime(new Date(System.currentTimeMillis() + 5 * 60_000)).build();
        assertUnauthorized(connect(withToken(TestTokens.hs256(TestTokens.SECRET, early))));
    }

    @Test
    void tokenWithoutExpiryOrSubjectIsClosed4001() throws Exception {
        hs256();
        String noExp = TestTokens.hs256(TestTokens.SECRET, new JWTClaimsSet.Builder().subject("alice").build());
        String noSub = TestTokens.hs256(TestTokens.SECRET, new JWTClaimsSet.Builder()
                .expirationTime(new Date(System.currentTimeMillis() + 60_000)).build());
        assertUnauthorized(connect(withToken(noExp)));
        assertUnauthorized(connect(withToken(noSub)));
    }

    @Test
    void unsignedAndGarbageTokensAreClosed4001() throws Exception {
        hs256();
        assertUnauthorized(connect(withToken(TestTokens.unsigned("alice-42"))));
        assertUnauthorized(connect(withToken("not-a-jwt")));
        assertThat(server.rejections(Reason.AUTH_FAILED)).isEqualTo(2.0);
    }

    @Test
    void rs256AndEs256TokensAreVerifiedWithPemPublicKeys() throws Exception {
        KeyPair rsa = TestTokens.rsa();
        KeyPair ec = TestTokens.ec();
        Path pem = TestTokens.pem(dir.resolve("keys.pem"), rsa.getPublic(), ec.getPublic());
        start("--jwt-public-key", pem.toString());

        JWTClaimsSet claims = TestTokens.claims("dave", "Dave", Duration.ofMinutes(5)).build();
        assertThat(connect(withToken(TestTokens.rs256(rsa, claims))).welcome().get("clientId").getAsString())
                .isEqualTo("dave");
        assertThat(connect(withToken(TestTokens.es256(ec, claims))).welcome().get("clientId").getAsString())
                .isEqualTo("dave");

        // Signed by keys the server does not know, or HS256 (no secret configured) keyed with the public key's bytes.
        assertUnauthorized(connect(withToken(TestTokens.rs256(TestTokens.rsa(), claims))));
        assertUnauthorized(connect(withToken(TestTokens.es256(TestTokens.ec(), claims))));
        String confused = TestTokens.hs256(java.util.Base64.getEncoder().encodeToString(rsa.getPublic().getEncoded()),
                claims);
        assertUnauthorized(connect(withToken(confused)));
    }

    @Test
    void issuerAndAudienceAreCheckedWhenConfigured() throws Exception {
        hs256("--jwt-issuer", "https://auth.test", "--jwt-audience", "wschat");
        JWTClaimsSet good = TestTokens.claims("erin", "Erin", Duration.ofMinutes(5))
                .issuer("https://auth.test").audience("wschat").build();
        JWTClaimsSet wrongAudience = TestTokens.claims("erin", "Erin", Duration.ofMinutes(5))
                .issuer("https://auth.test").audience("other-app").build();
        JWTClaimsSet wrongIssuer = TestTokens.claims("erin", "Erin", Duration.ofMinutes(5))
                .issuer("https://evil.test").audience("wschat").build();
        assertThat(connect(withToken(TestTokens.hs256(TestTokens.SECRET, good))).welcome().get("clientId")
                .getAsString()).isEqualTo("erin");
        assertUnauthorized(connect(withToken(TestTokens.hs256(TestTokens.SECRET, wrongAudience))));
        assertUnauthorized(connect(withToken(TestTokens.hs256(TestTokens.SECRET, wrongIssuer))));
    }

    @Test
    void nameClaimIsConfigurableAndMissingNameGetsADefault() throws Exception {
        hs256("--jwt-name-claim", "preferred_username");
        JWTClaimsSet claims = TestTokens.claims("frank", "Ignored", Duration.ofMinutes(5))
                .claim("preferred_username", "  Frank\u0007 ").build();
        assertThat(connect(withToken(TestTokens.hs256(TestTokens.SECRET, claims))).welcome().get("username")
                .getAsString()).isEqualTo("Frank");
        JWTClaimsSet nameless = TestTokens.claims("grace", null, Duration.ofMinutes(5)).build();
        assertThat(connect(withToken(TestTokens.hs256(TestTokens.SECRET, nameless))).welcome().get("username")
                .getAsString()).startsWith("User-");
    }

    @Test
    void tokenExpiringWhileConnectedClosesWith1008() throws Exception {
        hs256("--jwt-clock-skew", "0");
        TestClient client = connect(withToken(TestTokens.hs256("henry", "Henry", Duration.ofSeconds(2))));
        assertThat(client.welcome().get("clientId").getAsString()).isEqualTo("henry");
        assertThat(client.awaitClose()).isEqualTo(new TestClient.Close(CloseCodes.POLICY_VIOLATION,
                AuthSessionHandler.TOKEN_EXPIRED_REASON));
        assertThat(server.rejections(Reason.TOKEN_EXPIRED)).isEqualTo(1.0);
    }

    @Test
    void sameUserOnTwoConnectionsStaysReachableWhenOneCloses() throws Exception {
        // Both connections of one user share the id from sub; closing the first must not forget the second.
        hs256();
        TestClient first = signedIn("ivy", "Ivy");
        TestClient second = signedIn("ivy", "Ivy");
        TestClient other = signedIn("jack", "Jack");
        first.close();
        // Wait until the first connection's leave reached the room (two members left), then address the user.
        await().atMost(TestClient.TIMEOUT).until(() -> other.sendJson("type", "who", "room", "lobby")
                .nextOfType("presence").getAsJsonArray("users").size() == 2);
        other.send("{\"type\":\"dm\",\"to\":\"ivy\",\"content\":\"still there?\"}");
        JsonObject dm = second.nextOfType("dm");
        assertThat(dm.get("message").getAsString()).isEqualTo("still there?");
        assertThat(dm.getAsJsonObject("from").get("id").getAsString()).isEqualTo("jack");
    }

    @Test
    void aDirectMessageReachesEveryConnectionOfAUserAndTheOlderOneAfterTheNewestCloses() throws Exception {
        // The newest connection closing used to unmap the user while the older one was open: dm -> no_such_user.
        hs256();
        TestClient older = signedIn("ivy", "Ivy");
        TestClient newest = signedIn("ivy", "Ivy");
        TestClient jack = signedIn("jack", "Jack");
        assertThat(server.server().service().sessionCount()).as("connections, not users").isEqualTo(3);

        jack.send("{\"type\":\"dm\",\"to\":\"ivy\",\"content\":\"both tabs?\"}");
        assertThat(older.nextOfType("dm").get("message").getAsString()).isEqualTo("both tabs?");
        assertThat(newest.nextOfType("dm").get("message").getAsString()).isEqualTo("both tabs?");
        assertThat(jack.nextOfType("dm").get("message").getAsString()).as("the sender's echo").isEqualTo("both tabs?");

        newest.close();
        await().atMost(TestClient.TIMEOUT).until(() -> server.server().service().sessionCount() == 2);
        jack.send("{\"type\":\"dm\",\"to\":\"ivy\",\"content\":\"still there?\"}");
        JsonObject echo = jack.next(m -> "dm".equals(TestClient.str(m, "type"))
                || "error".equals(TestClient.str(m, "type")));
        assertThat(echo.get("type").getAsString()).as("not no_such_user").isEqualTo("dm");
        assertThat(older.nextOfType("dm").get("message").getAsString()).isEqualTo("still there?");
    }

    @Test
    void aSignedInUsersSecondConnectionJoinsAndLeavesUnannouncedWhileTheFirstIsThere() throws Exception {
        // The rooms hear of a user, not of a connection: "joined" when first listed, "left" when listed nowhere.
        hs256();
        String alice = TestTokens.hs256("alice-42", "Alice", Duration.ofMinutes(5));
        TestClient bob = signedIn("bob", "Bob");
        joinRoom(bob, "dev");
        TestClient first = connect(withToken(alice));
        first.welcome();
        joinRoom(first, "dev");
        TestClient second = connect(withToken(alice));
        second.welcome();
        joinRoom(second, "dev");
        second.sendJson("type", "leave", "room", "dev");
        second.next(m -> "leave".equals(TestClient.str(m, "event"))); // its own, always told
        second.close();
        await().atMost(TestClient.TIMEOUT).until(() -> bob.sendJson("type", "who", "room", "lobby")
                .nextOfType("presence").getAsJsonArray("users").size() == 2);

        first.sendJson("type", "leave", "room", "dev");
        first.close();
        bob.next(m -> "leave".equals(TestClient.str(m, "event")) && "lobby".equals(TestClient.str(m, "room")));
        bob.sendJson("type", "who", "room", "lobby");
        bob.nextOfType("presence"); // anything sent before it has arrived
        assertThat(bob.noticesAbout("alice-42")).containsExactly("join:lobby", "join:dev", "leave:dev",
                "leave:lobby");
    }

    private static void joinRoom(TestClient c, String room) {
        c.sendJson("type", "join", "room", room);
        c.next(m -> "history".equals(TestClient.str(m, "type")) && room.equals(TestClient.str(m, "room")));
    }

    @Test
    void requestsPipelinedBehindAnUpgradeWhileItsTokenIsVerifiedCloseTheConnection() throws Exception {
        // Verification runs off the event loop; nothing may slip past the handshake meanwhile.
        hs256();
        String token = TestTokens.hs256("kim", "Kim", Duration.ofMinutes(5));
        String requests = "GET /ws?token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
                + "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((int) TestClient.TIMEOUT.toMillis());
            socket.getOutputStream().write(requests.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).as("closed without an upgrade").doesNotContain("101");
        }
    }
}
