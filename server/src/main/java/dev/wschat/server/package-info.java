/**
 * The wschat server: {@link dev.wschat.server.Main} is the JAR's entry point,
 * {@link dev.wschat.server.ChatServer} bootstraps Netty,
 * {@link dev.wschat.server.ChatServerInitializer} composes the pipeline and
 * {@link dev.wschat.server.ServerConfig} holds every setting (one picocli option each).
 */
package dev.wschat.server;
