package dev.wschat.protocol;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Username cleaning and room-name rules. */
class NamesTest {

    @Test
    void usernamesAreTrimmedStrippedOfControlCharactersAndCutTo20() {
        assertThat(Names.cleanUsername("  bob  ")).isEqualTo("bob");
        assertThat(Names.cleanUsername("b\u0000o\u001bb\n")).isEqualTo("bob");
        assertThat(Names.cleanUsername("abcdefghijklmnopqrstuvwxyz")).isEqualTo("abcdefghijklmnopqrst");
        assertThat(Names.cleanUsername("\u200Bzero\u200Ewidth")).isEqualTo("zerowidth");
        assertThat(Names.cleanUsername(" \t ")).isEmpty();
    }

    @Test
    void cuttingNeverSplitsASurrogatePair() {
        String name = "a".repeat(19) + "\uD83D\uDE00";
        assertThat(Names.cleanUsername(name)).isEqualTo("a".repeat(19));
    }

    @Test
    void roomNamesFollowTheDocumentedRules() {
        assertThat(Names.isValidRoom("lobby")).isTrue();
        assertThat(Names.isValidRoom("Team-42_a.b")).isTrue();
        assertThat(Names.isValidRoom("r".repeat(32))).isTrue();
        assertThat(Names.isValidRoom("r".repeat(33))).isFalse();
        assertThat(Names.isValidRoom("")).isFalse();
        assertThat(Names.isValidRoom(null)).isFalse();
        assertThat(Names.isValidRoom(".hidden")).isFalse();
        assertThat(Names.isValidRoom("with space")).isFalse();
        assertThat(Names.isValidRoom("caf\u00e9")).isFalse();
    }
}
