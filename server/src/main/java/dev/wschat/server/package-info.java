/**
 * The wschat server: {@link dev.wschat.server.Main} is the JAR's entry point,
 * {@link dev.wschat.server.ChatServer} bootstraps Netty,
 * {@link dev.wschat.server.ChatServerInitializer} composes the pipeline and
 * {@link dev.wschat.server.ServerConfig} holds every setting: one picocli option each, declared by section
 * ({@code NetworkOptions}, {@code LimitOptions}, {@code HistoryOptions}, {@code SecurityOptions},
 * {@code TlsOptions}, {@code OperationsOptions}) with the checks of its value beside it. Packages below this one
 * never import it: each gets the small settings record it needs ({@code ChatSettings}, {@code LimitSettings},
 * {@code AuthSettings}, {@code HistorySettings}), built by {@code ServerConfig}, so no dependency runs back up.
 */
package dev.wschat.server;
