package dev.wschat.server;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Marks an option whose value {@link ServerConfig#toString()} never shows. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface Secret {
}
