/**
 * The wschat server: {@link dev.wschat.server.ChatServer} bootstraps Netty,
 * {@link dev.wschat.server.ChatServerInitializer} composes the pipeline and
 * {@link dev.wschat.server.ServerConfig} holds every setting.
 */
package dev.wschat.server;
