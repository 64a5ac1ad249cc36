using System.Net;

namespace FlowFunctions.Storage.Azure;

/// <summary>An Azure Storage request failed with an error the store does not turn into a result.</summary>
public sealed class StorageRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="errorCode">The storage error code (for example <c>EntityAlreadyExists</c>), or null.</param>
    /// <param name="message">What failed.</param>
    /// <param name="failedOperationIndex">For an entity-group transaction, the index of the operation that failed.</param>
    public StorageRequestException(int status, string? errorCode, string message, int? failedOperationIndex = null)
        : base(message)
    {
        Status = status;
        ErrorCode = errorCode;
        FailedOperationIndex = failedOperationIndex;
    }

    /// <summary>The HTTP status of the response.</summary>
    public int Status { get; }

    /// <summary>The storage error code, e.g. <c>TableNotFound</c>, <c>UpdateConditionNotSatisfied</c>; null when absent.</summary>
    public string? ErrorCode { get; }

    /// <summary>For a failed entity-group transaction, the index of the operation that failed; else null.</summary>
    public int? FailedOperationIndex { get; }

    /// <summary>The status as an enum value.</summary>
    public HttpStatusCode StatusCode => (HttpStatusCode)Status;
}
