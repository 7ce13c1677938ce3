package dev.wschat.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.wschat.testkit.FuzzInputs;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * What a stranger sends the codec, fuzzed: any text decodes, in both dialects, to a message or to the documented
 * {@link ClientMessage.Invalid} (or {@link ClientMessage.Ignored}), never to another exception, and quickly. The
 * normal run replays the corpus and tries a bounded number of mutations of it; docs/fuzzing.md has the longer,
 * coverage-guided run.
 */
class JsonCodecFuzzTest {
    /** Far above any real decode (microseconds); a slower one is a finding (a hang in the making). */
    private static final long MAX_DECODE_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final JsonCodec CODEC = new JsonCodec();
    private static final JsonCodec SMALL = new JsonCodec(64);
    private static final FuzzInputs INPUTS = FuzzInputs.withTokens("{", "}", "[", "]", "\"", ":", ",", "\\", "\\u",
            "\\ud800", "null", "true", "-0", "1e999", "9223372036854775808", "\"type\"", "\"text\"", "\"room\"",
            "\"id\"", "\u00e9", "\ud83d\ude00");

    @FuzzTest(maxDuration = "10m")
    void decode(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        for (Dialect dialect : Dialect.values()) {
            decodes(CODEC, text, dialect);
            decodes(SMALL, text, dialect);
        }
    }

    @Test
    void mutationsOfTheCorpus() {
        INPUTS.run(JsonCodecFuzzTest.class, "decode", this::decode);
    }

    private static void decodes(JsonCodec codec, String text, Dialect dialect) {
        long start = System.nanoTime();
        ClientMessage message = codec.decode(text, dialect);
        long took = System.nanoTime() - start;
        if (message == null) {
            throw new AssertionError("decode gave null in " + dialect);
        }
        if (message instanceof ClientMessage.Invalid invalid && (invalid.code() == null || invalid.message() == null)) {
            throw new AssertionError("an Invalid without its code or message: " + invalid);
        }
        if (took > MAX_DECODE_NANOS) {
            throw new AssertionError("decode took " + TimeUnit.NANOSECONDS.toMillis(took) + " ms in " + dialect);
        }
    }
}
