using Xunit.Abstractions;
using Xunit.Sdk;

namespace NetBlocks.Tests.DesignSpace;

/// <summary>
/// Marks a store test class that needs a real database server. The class has a <c>public static string? SkipReason</c>:
/// null when the server is configured, else why its tests are skipped.
/// </summary>
public interface IRequiresServer;

/// <summary>
/// [Fact] for the shared store tests: the tests live in the abstract base class, and a subclass implementing
/// <see cref="IRequiresServer"/> gets them skipped (not failed) when its server is not configured (e.g. PostgreSQL without
/// NETBLOCKS_TEST_POSTGRES), so `dotnet test` works on any machine.
/// </summary>
[XunitTestCaseDiscoverer("NetBlocks.Tests.DesignSpace.StoreFactDiscoverer", "NetBlocks.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreFactAttribute : FactAttribute;

public sealed class StoreFactDiscoverer(IMessageSink sink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod testMethod, IAttributeInfo attribute)
    {
        var type = testMethod.TestClass.Class.ToRuntimeType();
        string? skip = null;
        if (type is not null && type.GetInterfaces().Any(i => i == typeof(IRequiresServer)))
            skip = (string?)type.GetProperty("SkipReason", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)?.GetValue(null);
        if (skip is not null)
            return [new XunitSkippedDataRowTestCase(sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), testMethod, skip)];
        return [new XunitTestCase(sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), testMethod)];
    }
}

/// <summary>[Fact] that needs the PostgreSQL server of $NETBLOCKS_TEST_POSTGRES; skipped with the reason when it is unset.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresTrialStoreTests.SkipReason is { } reason) Skip = reason;
    }
}
