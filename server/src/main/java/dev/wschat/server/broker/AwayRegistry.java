package dev.wschat.server.broker;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Which users have sessions kept for a resume (their connection dropped) on any node, so that a node that does not
 * hold such a session can tell that user from one not connected, and keep a direct message for it.
 */
public interface AwayRegistry {

    /** One node: its own kept sessions are all there is, and it finds them itself. */
    AwayRegistry NONE = new AwayRegistry() {
        private final CompletionStage<List<String>> noneAway = CompletableFuture.completedFuture(List.of());

        @Override
        public void away(String userId, String resumeKey, Instant until) {
            // nothing to record
        }

        @Override
        public void back(String userId, String resumeKey) {
            // nothing recorded
        }

        @Override
        public CompletionStage<List<String>> awayKeys(String userId) {
            return noneAway;
        }
    };

    /**
     * A session of the user is kept for a resume on this node until {@code until}. Best effort, never blocks.
     *
     * @param userId    the session's client id
     * @param resumeKey its resume key
     * @param until     when its resume window ends
     */
    void away(String userId, String resumeKey, Instant until);

    /**
     * The session is kept no longer (resumed, ended, or its window passed). Best effort, never blocks.
     *
     * @param userId    the session's client id
     * @param resumeKey its resume key
     */
    void back(String userId, String resumeKey);

    /**
     * The resume keys of the user's sessions kept for a resume on any node now ({@link #away}).
     *
     * @param userId the user's client id
     * @return the keys, empty when none (always, on a single node); fails with
     *         {@link dev.wschat.server.backend.BackendUnavailableException} when it cannot be told
     */
    CompletionStage<List<String>> awayKeys(String userId);
}
