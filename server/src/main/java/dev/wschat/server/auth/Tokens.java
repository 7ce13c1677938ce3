package dev.wschat.server.auth;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.QueryStringEncoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;

import java.util.List;
import java.util.Map;

/**
 * Finds the token of a handshake request: an {@code Authorization: Bearer} header first, then the
 * {@code token} query parameter, then the configured cookie.
 */
final class Tokens {
    /** The query parameter carrying a token, as in the tutorial ({@code ?token=}). */
    static final String QUERY_PARAMETER = "token";
    private static final String BEARER = "bearer ";

    private Tokens() {
    }

    /**
     * Reads the token of a request.
     *
     * @param request the handshake request
     * @param cookie  the cookie name to read, or {@code null} to ignore cookies
     * @return the token, or {@code null} when there is none
     */
    static String find(HttpRequest request, String cookie) {
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (authorization != null && authorization.length() > BEARER.length()
                && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return authorization.substring(BEARER.length()).strip();
        }
        List<String> query = new QueryStringDecoder(request.uri()).parameters().get(QUERY_PARAMETER);
        if (query != null && !query.isEmpty() && !query.get(0).isEmpty()) {
            return query.get(0);
        }
        String cookies = request.headers().get(HttpHeaderNames.COOKIE);
        if (cookie != null && cookies != null) {
            for (Cookie c : ServerCookieDecoder.STRICT.decodeAll(cookies)) {
                if (cookie.equals(c.name()) && !c.value().isEmpty()) {
                    return c.value();
                }
            }
        }
        return null;
    }

    /**
     * Removes the token query parameter from a request's URI, so nothing downstream can log it.
     *
     * @param request the request, changed in place
     */
    static void stripFromUri(HttpRequest request) {
        QueryStringDecoder decoder = new QueryStringDecoder(request.uri());
        if (!decoder.parameters().containsKey(QUERY_PARAMETER)) {
            return;
        }
        QueryStringEncoder encoder = new QueryStringEncoder(decoder.rawPath());
        for (Map.Entry<String, List<String>> e : decoder.parameters().entrySet()) {
            if (!QUERY_PARAMETER.equals(e.getKey())) {
                e.getValue().forEach(v -> encoder.addParam(e.getKey(), v));
            }
        }
        request.setUri(encoder.toString());
    }
}
