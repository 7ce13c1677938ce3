package dev.wschat.server.chat;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits and windows the chat applies, built from the server's options in one place.
 *
 * @param maxRoomsPerConnection most rooms one connection may be in at once
 * @param announceLimit         members past which a room no longer announces each join and leave
 * @param presencePage          members one presence message lists
 * @param historyOnJoin         recent messages sent to a joiner
 * @param recoveryLimit         most missed messages a resume recovers
 * @param resumeWindow          how long a dropped session is kept for a resume; {@link Duration#ZERO} = resume off
 * @param maxDetachedSessions   dropped sessions kept for a resume at once
 * @param sessionSecret         the key signing resume tokens, or {@code null} for a random one per process
 * @param dmPolicy              who may send a direct message to whom
 */
public record ChatSettings(int maxRoomsPerConnection, int announceLimit, int presencePage, int historyOnJoin,
                           int recoveryLimit, Duration resumeWindow, int maxDetachedSessions, String sessionSecret,
                           DmPolicy dmPolicy) {

    /** Checks that the window is there; the ranges are checked where the options are declared. */
    public ChatSettings {
        Objects.requireNonNull(resumeWindow, "resumeWindow");
        Objects.requireNonNull(dmPolicy, "dmPolicy");
    }

    @Override
    public String toString() {
        return "ChatSettings[maxRoomsPerConnection=" + maxRoomsPerConnection + ", announceLimit=" + announceLimit
                + ", presencePage=" + presencePage + ", historyOnJoin=" + historyOnJoin + ", recoveryLimit="
                + recoveryLimit + ", resumeWindow=" + resumeWindow + ", maxDetachedSessions=" + maxDetachedSessions
                + ", sessionSecret=" + (sessionSecret == null ? "random" : "set") + ", dmPolicy=" + dmPolicy + "]";
    }

    /**
     * The same settings with another resume-token key.
     *
     * @param secret the key, or {@code null} for a random one per process
     * @return the settings
     */
    public ChatSettings withSessionSecret(String secret) {
        return new ChatSettings(maxRoomsPerConnection, announceLimit, presencePage, historyOnJoin, recoveryLimit,
                resumeWindow, maxDetachedSessions, secret, dmPolicy);
    }
}
