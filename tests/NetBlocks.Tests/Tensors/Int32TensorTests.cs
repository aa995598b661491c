using NetBlocks.Autograd;
using NetBlocks.Functional;
using NetBlocks.Tensors;

namespace NetBlocks.Tests;

/// <summary>int32 tensors: labels and argmax indices living with the data, and refused by the float math.</summary>
public class Int32TensorTests
{
    [Fact]
    public void An_int32_tensor_keeps_its_values_and_shape()
    {
        var t = Tensor.FromArray([3, -1, 7, 0, 2, 5], 2, 3);
        Assert.Equal(DType.Int32, t.DType);
        Assert.Equal(Device.Cpu, t.Device);
        Assert.Equal([2, 3], t.Shape.ToArray());
        Assert.Equal([3, -1, 7, 0, 2, 5], t.ToInt32Array());
        Assert.Equal([3, -1, 7, 0, 2, 5], t.Clone().ToInt32Array());
        Assert.Equal([4], Tensor.FromArray([1, 2, 3, 4]).Shape.ToArray());
        Assert.Equal("tensor([1, 2], shape=(2,), dtype=int32)", Tensor.FromArray([1, 2], 2).ToString());
    }

    [Fact]
    public void ArgMax_is_an_int32_tensor_without_the_reduced_dimension()
    {
        var x = Tensor.FromArray([1f, 5f, 3f, 9f, 2f, 9f, 0f, -1f, -2f, 4f, 4f, 1f], 2, 2, 3);
        var last = x.ArgMax();
        Assert.Equal(DType.Int32, last.DType);
        Assert.Equal([2, 2], last.Shape.ToArray());
        Assert.Equal([1, 0, 0, 0], last.ToInt32Array());
        var middle = F.ArgMax(x, 1);
        Assert.Equal([2, 3], middle.Shape.ToArray());
        Assert.Equal([1, 0, 1, 1, 1, 1], middle.ToInt32Array());
    }

    [Fact]
    public void Cross_entropy_takes_an_int32_label_tensor_with_the_same_loss_and_gradient_as_an_int_array()
    {
        float[] values = [0.5f, -1.25f, 2f, 0.1f, 3f, -0.7f, 1.5f, 1.5f, -2f];
        int[] labels = [2, 0, 1];
        var a = Tensor.FromArray(values, 3, 3); a.RequiresGrad = true;
        var b = Tensor.FromArray(values, 3, 3); b.RequiresGrad = true;
        var la = F.CrossEntropy(a, labels);
        var lb = F.CrossEntropy(b, Tensor.FromArray(labels, 3));
        Assert.Equal(la.Item(), lb.Item());
        la.Backward(); lb.Backward();
        Assert.Equal(a.Grad!.ToArray(), b.Grad!.ToArray());
    }

    [Fact]
    public void Cross_entropy_refuses_float_labels_and_labels_out_of_range()
    {
        var logits = Tensor.Zeros(2, 3);
        var e = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, Tensor.FromArray([0f, 1f], 2)));
        Assert.Equal("cross_entropy: labels must be an int32 tensor, got float32", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, Tensor.FromArray([0, 3], 2)));
        Assert.Equal("cross_entropy: label 3 at index 1 is out of range: the logits have 3 classes, labels must be in [0, 2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, Tensor.FromArray([0, 1, 2], 3)));
        Assert.Equal("cross_entropy: 3 labels for a batch of 2 logits", e.Message);
    }

    [Fact]
    public void A_one_label_batch_is_a_batch_not_a_scalar()
    {
        var loss = F.CrossEntropy(Tensor.Zeros(1, 4), [2]);
        Assert.Equal(MathF.Log(4f), loss.Item(), 1e-6f);
    }

    [Fact]
    public void Float_ops_refuse_an_int32_tensor_naming_the_op_and_the_dtype()
    {
        var labels = Tensor.FromArray([1, 2, 3], 3);
        var e = Assert.Throws<ArgumentException>(() => F.Relu(labels));
        Assert.Equal("Relu: expected float32 values, got an int32 tensor of shape (3,)", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.Add(Tensor.Ones(3), labels));
        Assert.Equal("Binary: expected float32 values, got an int32 tensor of shape (3,)", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.Linear(Tensor.FromArray([1, 2], 1, 2), Tensor.Ones(3, 2)));
        Assert.Equal("MatMul: expected float32 values, got an int32 tensor of shape (1, 2)", e.Message);
    }

    [Fact]
    public void Reading_an_int32_tensor_as_floats_says_how_to_read_it()
    {
        var labels = Tensor.FromArray([1, 2], 2);
        var e = Assert.Throws<InvalidOperationException>(() => labels.ToArray());
        Assert.Equal("this tensor (shape (2,)) holds int32 values, not float32: a float32 span cannot be taken from it (read it with ToInt32Array())", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => Tensor.Ones(2).ToInt32Array());
        Assert.Equal("this tensor (shape (2,)) holds float32 values, not int32: an int32 span cannot be taken from it (read it with ToArray())", e.Message);
    }
}
