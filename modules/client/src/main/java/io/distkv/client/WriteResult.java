package io.distkv.client;

/**
 * Outcome of a conditional write ({@code putIfAbsent}, {@code compareAndSet}, a batch with
 * conditions): {@code applied} with the new version, or not applied with the version that failed
 * the condition (0 = the key is absent).
 */
public record WriteResult(boolean applied, long version) {}
