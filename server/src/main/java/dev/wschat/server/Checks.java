package dev.wschat.server;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * The checks one option's value must pass, declared as annotations beside its picocli {@code @Option} and applied
 * here to every option in declaration order; an unset option (no default, not given) is not checked.
 */
final class Checks {
    /** An integer option's least value. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface AtLeast {
        int value();
    }

    /** An integer option's greatest value. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface AtMost {
        int value();
    }

    /** A TCP port: 0 (any free one) to 65535. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface Port {
    }

    /** A text that is not empty or blank. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface NotBlank {
    }

    /** A file the server can read. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface Readable {
    }

    /** A key of at least this many bytes (UTF-8), for the algorithm named by {@code purpose} when there is one. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface MinBytes {
        int value();

        String purpose() default "";
    }

    /** A check of its own, for a value with a shape (a URL, a list): the class sits beside the option. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface Shape {
        Class<? extends Rule> value();
    }

    /** What {@link Shape} names: says what is wrong with a value. */
    interface Rule {
        /**
         * Checks one value.
         *
         * @param value the option's value, never {@code null}
         * @return what is wrong, to follow the option's name ("must be ..."), or {@code null} when it is fine
         */
        String problem(Object value);
    }

    private Checks() {
    }

    /**
     * Applies the declared checks to every option of a parsed command.
     *
     * @param spec  the parsed declarations
     * @param named the option as the user gave it, for messages ({@code --port (from environment PORT)})
     * @throws IllegalArgumentException naming the first option whose value fails its checks
     */
    static void apply(CommandSpec spec, UnaryOperator<String> named) {
        for (OptionSpec option : spec.options()) {
            Object value = option.getValue();
            if (value != null && option.userObject() instanceof Field field) {
                String problem = problem(field, value);
                if (problem != null) {
                    throw new IllegalArgumentException(named.apply(option.longestName()) + " " + problem);
                }
            }
        }
    }

    private static String problem(Field field, Object value) {
        if (field.isAnnotationPresent(Port.class) && value instanceof Integer port && (port < 0 || port > 65_535)) {
            return "must be 0..65535: " + port;
        }
        if (field.isAnnotationPresent(NotBlank.class) && value.toString().isBlank()) {
            return "must not be empty";
        }
        AtLeast least = field.getAnnotation(AtLeast.class);
        if (least != null && (Integer) value < least.value()) {
            return "must be at least " + least.value() + ": " + value;
        }
        AtMost most = field.getAnnotation(AtMost.class);
        if (most != null && (Integer) value > most.value()) {
            return "must be at most " + most.value() + ": " + value;
        }
        MinBytes bytes = field.getAnnotation(MinBytes.class);
        if (bytes != null && value.toString().getBytes(StandardCharsets.UTF_8).length < bytes.value()) {
            return "must be at least " + bytes.value() + " bytes"
                    + (bytes.purpose().isEmpty() ? "" : " for " + bytes.purpose());
        }
        if (field.isAnnotationPresent(Readable.class) && !Files.isReadable((Path) value)) {
            return "is not a readable file: " + value;
        }
        Shape shape = field.getAnnotation(Shape.class);
        return shape == null ? null : rule(shape.value()).problem(value);
    }

    private static Rule rule(Class<? extends Rule> type) {
        try {
            return type.getDeclaredConstructor().newInstance();
        } catch (NoSuchMethodException | InstantiationException | IllegalAccessException
                 | InvocationTargetException e) {
            throw new IllegalStateException("cannot make the rule " + type.getName(), e);
        }
    }
}
