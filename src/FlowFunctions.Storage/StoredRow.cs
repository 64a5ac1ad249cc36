namespace FlowFunctions.Storage;

/// <summary>One row of a partition: a key, a JSON value, and an ETag that changes on every write.</summary>
/// <param name="Key">The row key, unique within its partition.</param>
/// <param name="Value">The row's JSON text.</param>
/// <param name="ETag">An opaque version for optimistic concurrency.</param>
public sealed record StoredRow(string Key, string Value, string ETag);

/// <summary>One operation of an atomic batch on a partition.</summary>
public abstract record RowOperation
{
    private RowOperation(string key) => Key = key;

    /// <summary>The row the operation writes.</summary>
    public string Key { get; }

    /// <summary>Adds a row; fails with <see cref="ConflictKind.AlreadyExists"/> when the key exists.</summary>
    public sealed record Insert(string RowKey, string Value) : RowOperation(RowKey);

    /// <summary>Adds or overwrites a row unconditionally.</summary>
    public sealed record Upsert(string RowKey, string Value) : RowOperation(RowKey);

    /// <summary>Overwrites an existing row whose ETag matches (<c>*</c> matches any); fails when missing or changed.</summary>
    public sealed record Replace(string RowKey, string Value, string ETag) : RowOperation(RowKey);

    /// <summary>Removes an existing row whose ETag matches (<c>*</c> matches any); fails when missing or changed.</summary>
    public sealed record Delete(string RowKey, string ETag = "*") : RowOperation(RowKey);
}

/// <summary>Why a batch operation failed.</summary>
public enum ConflictKind
{
    /// <summary>An insert found the key taken.</summary>
    AlreadyExists,

    /// <summary>A replace or delete found no row.</summary>
    NotFound,

    /// <summary>A replace or delete found the row changed since it was read.</summary>
    ETagMismatch,
}

/// <summary>A batch was refused as a whole because one operation's condition did not hold; nothing was written.</summary>
public sealed class BatchConflictException : Exception
{
    /// <summary>Creates the exception for the operation at <paramref name="index"/>.</summary>
    public BatchConflictException(int index, string key, ConflictKind kind)
        : base($"batch operation {index} on '{key}' failed: {kind}")
    {
        Index = index;
        Key = key;
        Kind = kind;
    }

    /// <summary>The index of the failed operation in the batch.</summary>
    public int Index { get; }

    /// <summary>The key of the failed operation.</summary>
    public string Key { get; }

    /// <summary>Why it failed.</summary>
    public ConflictKind Kind { get; }
}
