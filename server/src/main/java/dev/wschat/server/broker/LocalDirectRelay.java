package dev.wschat.server.broker;

import dev.wschat.protocol.ServerMessage;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The single-node relay: there is no other node, so a user not connected here is connected nowhere. */
public final class LocalDirectRelay implements DirectRelay {
    private static final CompletionStage<Long> NOBODY = CompletableFuture.completedFuture(0L);
    private static final CompletionStage<java.util.List<String>> NONE_AWAY =
            CompletableFuture.completedFuture(java.util.List.of());

    @Override
    public void userChanged(String userId, boolean here) {
        // nothing to subscribe to
    }

    @Override
    public boolean reachesOtherNodes() {
        return false;
    }

    @Override
    public CompletionStage<Long> send(ServerMessage.Direct dm) {
        return NOBODY;
    }

    @Override
    public void resumed(String userId, String resumeKey) {
        // no other node holds sessions
    }

    @Override
    public void away(String userId, String resumeKey, java.time.Instant until) {
        // this node's own kept sessions are all there is; it finds them itself
    }

    @Override
    public void back(String userId, String resumeKey) {
        // as for away
    }

    @Override
    public CompletionStage<java.util.List<String>> awayKeys(String userId) {
        return NONE_AWAY;
    }

    @Override
    public void close() {
        // nothing to stop
    }
}
