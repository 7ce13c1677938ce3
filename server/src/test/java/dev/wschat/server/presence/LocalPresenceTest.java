package dev.wschat.server.presence;

/** LocalPresence: the {@link Presence} contract in memory. */
class LocalPresenceTest extends PresenceContractTest {

    @Override
    Presence create() {
        return new LocalPresence();
    }
}
