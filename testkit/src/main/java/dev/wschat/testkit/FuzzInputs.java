package dev.wschat.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The normal run's share of fuzzing: a fuzz test's corpus (Jazzer's {@code <Class>Inputs/<method>/} resources),
 * mutated at random a bounded number of times ({@code -Dwschat.fuzz.runs}, 2,000 by default) from a seed printed on
 * failure ({@code -Dwschat.fuzz.seed} replays it), with the tokens of the format under test among the mutations.
 * Coverage-guided fuzzing is the longer run, docs/fuzzing.md.
 */
public final class FuzzInputs {
    private static final int DEFAULT_RUNS = 2_000;

    private final List<byte[]> tokens;

    private FuzzInputs(List<byte[]> tokens) {
        this.tokens = tokens;
    }

    /**
     * Mutations that insert these tokens of the format, as UTF-8 (and nothing else of the format).
     *
     * @param tokens text the format gives meaning to: punctuation, keywords, edge values
     * @return the mutator
     */
    public static FuzzInputs withTokens(String... tokens) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("no tokens: the mutations insert one of them");
        }
        return new FuzzInputs(encode(tokens, StandardCharsets.UTF_8));
    }

    /**
     * These mutations, and also ones that insert these raw bytes (each char one byte, up to U+00FF): frame
     * headers, bytes that are never UTF-8.
     *
     * @param bytes one token per string, each char a byte
     * @return a new mutator with both kinds of token
     */
    public FuzzInputs andBytes(String... bytes) {
        for (String b : bytes) {
            if (!b.chars().allMatch(c -> c <= 0xff)) {
                throw new IllegalArgumentException("not one byte per char: " + b);
            }
        }
        List<byte[]> all = new ArrayList<>(tokens);
        all.addAll(encode(bytes, StandardCharsets.ISO_8859_1));
        return new FuzzInputs(List.copyOf(all));
    }

    /** The corpus files of {@code test}'s fuzz test {@code method}, as bytes. */
    public static List<byte[]> corpus(Class<?> test, String method) {
        Objects.requireNonNull(test, "test");
        Objects.requireNonNull(method, "method");
        URL dir = test.getResource(test.getSimpleName() + "Inputs/" + method);
        if (dir == null) {
            throw new IllegalStateException("no corpus " + test.getSimpleName() + "Inputs/" + method);
        }
        try (Stream<Path> files = Files.list(Path.of(dir.toURI()))) {
            List<byte[]> corpus = new ArrayList<>();
            for (Path f : files.sorted().toList()) {
                corpus.add(Files.readAllBytes(f));
            }
            return corpus;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code target} on the corpus, then on random mutations of it; a throw fails with the input and seed. */
    public void run(Class<?> test, String method, Consumer<byte[]> target) {
        Objects.requireNonNull(target, "target");
        List<byte[]> corpus = corpus(test, method);
        long seed = Long.getLong("wschat.fuzz.seed", System.nanoTime());
        int runs = Integer.getInteger("wschat.fuzz.runs", DEFAULT_RUNS);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < corpus.size() + runs; i++) {
            byte[] input = i < corpus.size() ? corpus.get(i) : mutate(corpus, random);
            try {
                target.accept(input);
            } catch (RuntimeException | AssertionError | StackOverflowError e) {
                throw new AssertionError("input " + HexFormat.of().formatHex(input) + " (\""
                        + new String(input, StandardCharsets.UTF_8) + "\") failed; replay with -Dwschat.fuzz.seed="
                        + seed, e);
            }
        }
    }

    private byte[] mutate(List<byte[]> corpus, SplittableRandom random) {
        byte[] data = corpus.get(random.nextInt(corpus.size()));
        for (int n = 1 + random.nextInt(4); n > 0; n--) {
            data = mutateOnce(data, corpus, random);
        }
        return data;
    }

    private byte[] mutateOnce(byte[] data, List<byte[]> corpus, SplittableRandom random) {
        int at = data.length == 0 ? 0 : random.nextInt(data.length + 1);
        switch (random.nextInt(6)) {
            case 0 -> { // flip a bit
                if (data.length > 0) {
                    byte[] copy = data.clone();
                    int i = random.nextInt(data.length);
                    copy[i] ^= (byte) (1 << random.nextInt(8));
                    return copy;
                }
                return data;
            }
            case 1 -> { // a random byte
                return insert(data, at, new byte[] {(byte) random.nextInt(256)});
            }
            case 2 -> { // cut a range
                int len = data.length - at == 0 ? 0 : random.nextInt(data.length - at + 1);
                byte[] copy = new byte[data.length - len];
                System.arraycopy(data, 0, copy, 0, at);
                System.arraycopy(data, at + len, copy, at, data.length - at - len);
                return copy;
            }
            case 3 -> { // repeat a range
                int len = data.length - at == 0 ? 0 : random.nextInt(Math.min(64, data.length - at) + 1);
                byte[] range = new byte[len];
                System.arraycopy(data, at, range, 0, len);
                return insert(data, at, range);
            }
            case 4 -> { // a token of the format
                return insert(data, at, tokens.get(random.nextInt(tokens.size())));
            }
            default -> { // splice with another input
                byte[] other = corpus.get(random.nextInt(corpus.size()));
                int from = other.length == 0 ? 0 : random.nextInt(other.length);
                byte[] copy = new byte[at + other.length - from];
                System.arraycopy(data, 0, copy, 0, at);
                System.arraycopy(other, from, copy, at, other.length - from);
                return copy;
            }
        }
    }

    private static byte[] insert(byte[] data, int at, byte[] bytes) {
        byte[] copy = new byte[data.length + bytes.length];
        System.arraycopy(data, 0, copy, 0, at);
        System.arraycopy(bytes, 0, copy, at, bytes.length);
        System.arraycopy(data, at, copy, at + bytes.length, data.length - at);
        return copy;
    }

    private static List<byte[]> encode(String[] tokens, Charset charset) {
        List<byte[]> bytes = new ArrayList<>(tokens.length);
        for (String token : tokens) {
            bytes.add(Objects.requireNonNull(token, "token").getBytes(charset));
        }
        return List.copyOf(bytes);
    }
}
