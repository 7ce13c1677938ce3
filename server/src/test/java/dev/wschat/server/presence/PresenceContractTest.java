package dev.wschat.server.presence;

import dev.wschat.protocol.ServerMessage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract of {@link Presence}, run against each implementation by a subclass: bounded pages in a stable
 * order, cursors that survive members coming and going, one member per connection, renames, membership by user.
 */
abstract class PresenceContractTest {
    Presence presence;

    /** A new, empty presence. */
    abstract Presence create();

    @BeforeEach
    void open() {
        presence = create();
    }

    private static ServerMessage.User user(int i) {
        return new ServerMessage.User(String.format("u%04d", i), "name-" + i);
    }

    @Test
    void pagesListEveryMemberOnceWithTheTotal() {
        for (int i = 0; i < 250; i++) {
            presence.add("dev", "c" + i, user(i));
        }
        presence.add("dev", "c0", user(0)); // the same connection again: still one member
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Presence.Page page = presence.page("dev", cursor, 100);
            assertThat(page.users()).hasSizeLessThanOrEqualTo(100);
            assertThat(page.total()).isEqualTo(250);
            page.users().forEach(u -> seen.add(u.id()));
            cursor = page.next();
            pages++;
        } while (cursor != null && pages < 10);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).hasSize(250).doesNotHaveDuplicates().isSorted();
    }

    @Test
    void aCursorStaysValidWhileMembersComeAndGo() {
        for (int i = 0; i < 10; i++) {
            presence.add("dev", "c" + i, user(i));
        }
        Presence.Page first = presence.page("dev", null, 4);
        presence.remove("dev", "c3"); // listed already
        presence.remove("dev", "c5"); // not yet listed
        presence.add("dev", "c42", user(42));
        Set<String> rest = new HashSet<>();
        for (String cursor = first.next(); cursor != null; ) {
            Presence.Page page = presence.page("dev", cursor, 4);
            page.users().forEach(u -> rest.add(u.id()));
            cursor = page.next();
        }
        assertThat(rest).containsExactlyInAnyOrder("u0004", "u0006", "u0007", "u0008", "u0009", "u0042");
        assertThat(presence.page("dev", null, 100).total()).isEqualTo(9);
    }

    @Test
    void twoConnectionsOfOneUserAreTwoMembersAndRenamesShow() {
        presence.add("dev", "a", user(1));
        presence.add("dev", "b", user(1));
        presence.rename("dev", "b", new ServerMessage.User("u0001", "renamed"));
        assertThat(presence.page("dev", null, 10).users()).extracting(ServerMessage.User::username)
                .containsExactly("name-1", "renamed");
        presence.remove("dev", "a");
        presence.remove("dev", "b");
        assertThat(presence.page("dev", null, 10)).isEqualTo(new Presence.Page(List.of(), 0, null));
    }

    @Test
    void includesAUserWhileAnyOfItsConnectionsIsAMember() {
        presence.add("dev", "a", user(1));
        presence.add("dev", "b", user(1));
        presence.add("dev", "c", user(12));
        assertThat(presence.includes("dev", "u0001")).isTrue();
        assertThat(presence.includes("dev", "u000")).as("a prefix of an id is not the id").isFalse();
        assertThat(presence.includes("dev", "u0002")).isFalse();
        assertThat(presence.includes("ops", "u0001")).isFalse();
        presence.remove("dev", "a");
        assertThat(presence.includes("dev", "u0001")).isTrue();
        presence.remove("dev", "b");
        assertThat(presence.includes("dev", "u0001")).isFalse();
        assertThat(presence.includes("dev", "u0012")).isTrue();
    }

    @Test
    void listedSaysWhetherTheUserIsAMemberThroughAnotherConnection() throws Exception {
        presence.add("dev", "a", user(1));
        assertThat(listed("dev", "u0001", "a")).as("through the joining connection only").isFalse();
        presence.add("dev", "b", user(1));
        presence.add("dev", "c", user(12));
        assertThat(listed("dev", "u0001", "b")).isTrue();
        assertThat(listed("dev", "u0001", "a")).isTrue();
        assertThat(listed("dev", "u0012", "c")).isFalse();
        assertThat(listed("dev", "u000", "d")).as("a prefix of an id is not the id").isFalse();
        assertThat(listed("ops", "u0001", "e")).isFalse();
        presence.remove("dev", "a");
        assertThat(listed("dev", "u0001", "b")).isFalse();
    }

    private boolean listed(String room, String userId, String memberKey) throws Exception {
        return presence.listed(room, userId, memberKey, null).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void aCursorItDidNotGiveOutIsRefused() {
        assertThatThrownBy(() -> presence.page("dev", "%%%", 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> presence.page("dev", null, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
