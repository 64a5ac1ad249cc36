using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace FlowFunctions.Storage.Tests.Contract;

/// <summary>
/// A contract fact: runs like <see cref="FactAttribute"/>, except that the implementation's test class can skip it
/// with <see cref="SkipContractTestAttribute"/> or <see cref="RequiresEnvironmentVariableAttribute"/>, which a plain
/// [Fact] inherited from the contract base class cannot.
/// </summary>
[XunitTestCaseDiscoverer("FlowFunctions.Storage.Tests.Contract.ContractFactDiscoverer", "FlowFunctions.Storage.Tests")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ContractFactAttribute : FactAttribute
{
}

/// <summary>A contract theory, skippable per implementation like <see cref="ContractFactAttribute"/>.</summary>
[XunitTestCaseDiscoverer("FlowFunctions.Storage.Tests.Contract.ContractTheoryDiscoverer", "FlowFunctions.Storage.Tests")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ContractTheoryAttribute : TheoryAttribute
{
}

/// <summary>Skips one inherited contract test in this implementation's test class, with the reason shown by the runner.</summary>
/// <param name="method">The contract test method's name.</param>
/// <param name="reason">Why it cannot hold for this implementation, and what replaces it.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = true)]
public sealed class SkipContractTestAttribute(string method, string reason) : Attribute
{
    /// <summary>The contract test method's name.</summary>
    public string Method { get; } = method;

    /// <summary>Why it is skipped.</summary>
    public string Reason { get; } = reason;
}

/// <summary>Skips every contract test of the class when an environment variable is unset (a service is not available).</summary>
/// <param name="variable">The variable that must be set.</param>
/// <param name="reason">What the variable provides and how to set it.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = true)]
public sealed class RequiresEnvironmentVariableAttribute(string variable, string reason) : Attribute
{
    /// <summary>The variable that must be set.</summary>
    public string Variable { get; } = variable;

    /// <summary>Shown when it is not.</summary>
    public string Reason { get; } = reason;

    /// <summary>Whether the variable is set to something.</summary>
    public bool IsSatisfied => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable));
}

/// <summary>Finds why a test method of a test class must be skipped, if it must.</summary>
internal static class ContractSkips
{
    public static string? ReasonFor(ITestMethod testMethod)
    {
        var type = testMethod.TestClass.Class.ToRuntimeType();
        if (type is null)
        {
            return null;
        }

        if (type.GetCustomAttribute<RequiresEnvironmentVariableAttribute>() is { IsSatisfied: false } requirement)
        {
            return $"{requirement.Variable} is not set: {requirement.Reason}";
        }

        return type.GetCustomAttributes<SkipContractTestAttribute>()
            .FirstOrDefault(skip => skip.Method == testMethod.Method.Name)?.Reason;
    }
}

/// <summary>Discovers <see cref="ContractFactAttribute"/> tests, replacing skipped ones by a skipped test case.</summary>
public sealed class ContractFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc />
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var reason = ContractSkips.ReasonFor(testMethod);
        return reason is null
            ? base.Discover(discoveryOptions, testMethod, factAttribute)
            : [new SkippedContractTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason)];
    }
}

/// <summary>Discovers <see cref="ContractTheoryAttribute"/> tests; a skipped theory becomes one skipped test case.</summary>
public sealed class ContractTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc />
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute)
    {
        var reason = ContractSkips.ReasonFor(testMethod);
        return reason is null
            ? base.Discover(discoveryOptions, testMethod, theoryAttribute)
            : [new SkippedContractTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason)];
    }
}

/// <summary>A test case that reports itself skipped with a reason decided at discovery.</summary>
public sealed class SkippedContractTestCase : XunitTestCase
{
    private string reason = string.Empty;

    /// <summary>For the deserializer.</summary>
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public SkippedContractTestCase()
    {
    }

    /// <summary>Creates the skipped case.</summary>
    public SkippedContractTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod testMethod, string reason)
        : base(diagnosticMessageSink, display, options, testMethod)
    {
        this.reason = reason;
    }

    /// <inheritdoc />
    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        data.AddValue("ContractSkipReason", reason);
    }

    /// <inheritdoc />
    public override void Deserialize(IXunitSerializationInfo data)
    {
        reason = data.GetValue<string>("ContractSkipReason");
        base.Deserialize(data);
    }

    /// <inheritdoc />
    protected override string GetSkipReason(IAttributeInfo factAttribute) => reason;
}
