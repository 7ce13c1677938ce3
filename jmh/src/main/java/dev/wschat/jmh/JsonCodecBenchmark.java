package dev.wschat.jmh;

import dev.wschat.protocol.ClientMessage;
import dev.wschat.protocol.Dialect;
import dev.wschat.protocol.JsonCodec;
import dev.wschat.protocol.ServerMessage;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/** {@link JsonCodec} on a chat message: the server encodes one per room event and decodes one per client message. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class JsonCodecBenchmark {
    private final JsonCodec codec = new JsonCodec();
    private final ServerMessage.Chat chat = Messages.chat();

    /** A chat delivery in dialect 2 ({@code wschat.v2}). */
    @Benchmark
    public String encodeChatV2() {
        return codec.encode(chat, Dialect.V2);
    }

    /** A chat delivery in the tutorial's dialect. */
    @Benchmark
    public String encodeChatTutorial() {
        return codec.encode(chat, Dialect.TUTORIAL);
    }

    /** A client's chat message in dialect 2, validated. */
    @Benchmark
    public ClientMessage decodeChatV2() {
        return codec.decode(Messages.CLIENT_CHAT_V2, Dialect.V2);
    }

    /** A tutorial client's chat message. */
    @Benchmark
    public ClientMessage decodeChatTutorial() {
        return codec.decode(Messages.CLIENT_CHAT_TUTORIAL, Dialect.TUTORIAL);
    }
}
