package dev.wschat.server.broker;

import dev.wschat.protocol.ServerMessage;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The single-node relay: there is no other node, so a user not connected here is connected nowhere. */
public final class LocalDirectRelay implements DirectRelay {
    private static final CompletionStage<Long> NOBODY = CompletableFuture.completedFuture(0L);

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
    public void close() {
        // nothing to stop
    }
}
