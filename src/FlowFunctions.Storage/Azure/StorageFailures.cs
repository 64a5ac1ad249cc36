using global::Azure;
using global::Azure.Data.Tables;

namespace FlowFunctions.Storage.Azure;

/// <summary>
/// The one place that reads the SDKs' <see cref="RequestFailedException"/>s: which failures the store interfaces define
/// as results (a batch conflict, a missing row, blob or queue, a stale pop receipt, an artifact already stored). Every
/// other failure reaches the caller as the SDK's exception, with its <c>Status</c> and <c>ErrorCode</c>.
/// </summary>
internal static class StorageFailures
{
    /// <summary>
    /// The conflict of an entity-group transaction that failed on a condition of one of our operations, or null when the
    /// failure is not one (throttling, a malformed request, an unknown index): those stay the SDK's exception.
    /// </summary>
    public static BatchConflictException? AsBatchConflict(RequestFailedException error, IReadOnlyList<RowOperation> operations)
    {
        if (error is not TableTransactionFailedException { FailedTransactionActionIndex: { } index } || index < 0 || index >= operations.Count)
        {
            return null;
        }

        var operation = operations[index];
        ConflictKind? kind = (operation, error.Status) switch
        {
            (RowOperation.Insert, 409) => ConflictKind.AlreadyExists,
            (RowOperation.Replace or RowOperation.Delete, 404) => ConflictKind.NotFound,
            (RowOperation.Replace or RowOperation.Delete, 412) => ConflictKind.ETagMismatch,
            _ => null,
        };
        return kind is { } conflict ? new BatchConflictException(index, operation.Key, conflict) : null;
    }

    /// <summary>The entity, blob, container or queue does not exist.</summary>
    public static bool IsNotFound(RequestFailedException error) => error.Status == 404;

    /// <summary>
    /// A pop receipt that no longer holds the message: 404 MessageNotFound on Azure, 400 PopReceiptMismatch on some
    /// service versions and emulators.
    /// </summary>
    public static bool IsStalePopReceipt(RequestFailedException error) =>
        error.Status == 404 || (error.Status == 400 && error.ErrorCode == "PopReceiptMismatch");

    /// <summary>
    /// A conditional create (<c>If-None-Match: *</c>) found the blob already there: 409 BlobAlreadyExists, or 412 when the
    /// condition is checked on the block list commit. For content-addressed names that means "stored".
    /// </summary>
    public static bool IsAlreadyStored(RequestFailedException error) => error.Status is 409 or 412;
}
