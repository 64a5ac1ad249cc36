using Microsoft.AspNetCore.Mvc;

namespace FlowFunctions.Host.Api;

/// <summary>Every problem type of the API, and how to answer with one.</summary>
internal static class Problems
{
    public static readonly ProblemType MalformedJson = new("malformed-json", "The request body is not well-formed JSON", 400);
    public static readonly ProblemType InvalidRequest = new("invalid-request", "The request is not valid", 400);
    public static readonly ProblemType Unauthorized = new("unauthorized", "A valid API key is required", 401);
    public static readonly ProblemType Forbidden = new("forbidden", "The caller's role does not allow this request", 403);
    public static readonly ProblemType NotFound = new("not-found", "No such resource", 404);
    public static readonly ProblemType RunNotFound = new("run-not-found", "No such run", 404);
    public static readonly ProblemType NodeNotFound = new("node-not-found", "No such node in the run", 404);
    public static readonly ProblemType WorkflowNotFound = new("workflow-not-found", "No such workflow", 404);
    public static readonly ProblemType ArtifactNotFound = new("artifact-not-found", "No such artifact", 404);
    public static readonly ProblemType MethodNotAllowed = new("method-not-allowed", "The resource does not support this method", 405);
    public static readonly ProblemType IdempotencyConflict = new("idempotency-key-reused", "The Idempotency-Key was used with a different request", 409);
    public static readonly ProblemType WorkflowVersionConflict = new("workflow-version-conflict", "This workflow version is registered with different content", 409);
    public static readonly ProblemType RunCompleted = new("run-completed", "The run has already completed", 409);
    public static readonly ProblemType CommandRefused = new("command-refused", "The run's state does not allow the command", 409);
    public static readonly ProblemType PayloadTooLarge = new("payload-too-large", "The request body is too large", 413);
    public static readonly ProblemType UnsupportedMediaType = new("unsupported-media-type", "The request body's content type is not supported", 415);
    public static readonly ProblemType InvalidSpec = new("invalid-spec", "The spec is not valid", 422);
    public static readonly ProblemType InvalidInputs = new("invalid-inputs", "The run inputs do not match the workflow", 422);
    public static readonly ProblemType InternalError = new("internal-error", "The server failed to handle the request", 500);

    public static IReadOnlyList<ProblemType> All { get; } =
    [
        MalformedJson, InvalidRequest, Unauthorized, Forbidden, NotFound, RunNotFound, NodeNotFound, WorkflowNotFound, ArtifactNotFound, MethodNotAllowed,
        IdempotencyConflict, WorkflowVersionConflict, RunCompleted, CommandRefused, PayloadTooLarge, UnsupportedMediaType, InvalidSpec, InvalidInputs,
        InternalError,
    ];

    public static IResult Result(ProblemType type, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: type.Status, title: type.Title, type: type.Uri, extensions: extensions);

    /// <summary>Gives the problems the framework writes itself (unmatched routes, wrong methods, exceptions) our types.</summary>
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Type?.StartsWith(ProblemType.BaseUri, StringComparison.Ordinal) == true)
        {
            return;
        }

        if (All.FirstOrDefault(t => t.Status == problem.Status && t.Slug is "not-found" or "method-not-allowed" or "internal-error" or "unauthorized" or "payload-too-large" or "unsupported-media-type" or "invalid-request") is { } type)
        {
            problem.Type = type.Uri;
            problem.Title = type.Title;
            problem.Detail ??= type == NotFound ? $"nothing at '{context.HttpContext.Request.Path}'; the API is described at /api/openapi.json" : null;
        }
    }
}
