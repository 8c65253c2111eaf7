package io.distkv.storage;

/** A key and its value, as returned by scans. */
public record KvEntry(byte[] key, byte[] value) {}
