using System.Text.Json.Nodes;

namespace FlowFunctions.Engine.Activities;

/// <summary>
/// Executes one node type. Handlers return the output or throw <see cref="ActivityException"/> (with a class saying
/// whether a retry could help); other exceptions are classified by the executor.
/// </summary>
public interface IActivityHandler
{
    /// <summary>The node type this handler executes (<c>echo</c>, <c>http</c>, ...).</summary>
    string NodeType { get; }

    /// <summary>Runs one execution.</summary>
    Task<JsonNode?> ExecuteAsync(ActivityExecution execution, CancellationToken cancellationToken);
}

/// <summary>What a handler knows about the execution it performs.</summary>
/// <param name="Request">The work item.</param>
/// <param name="Execution">The 1-based number of this execution of the node (the attempt number users see).</param>
public sealed record ActivityExecution(ActivityRequest Request, int Execution)
{
    /// <summary>The resolved input.</summary>
    public JsonNode? Input => Request.Input;
}
