package dev.ember.server.kserve;

import com.google.protobuf.ByteString;
import dev.ember.server.kserve.v2.GRPCInferenceService;
import dev.ember.server.kserve.v2.InferParameter;
import dev.ember.server.kserve.v2.InferTensorContents;
import dev.ember.server.kserve.v2.ModelInferRequest;
import dev.ember.server.kserve.v2.ModelInferResponse;
import dev.ember.server.kserve.v2.ModelMetadataRequest;
import dev.ember.server.kserve.v2.ModelMetadataResponse;
import dev.ember.server.kserve.v2.ModelReadyRequest;
import dev.ember.server.kserve.v2.ServerLiveRequest;
import dev.ember.server.kserve.v2.ServerMetadataRequest;
import dev.ember.server.kserve.v2.ServerReadyRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** inference.GRPCInferenceService (KServe v2) through a generated client on the HTTP test port. */
@QuarkusTest
class KServeGrpcTest {
    static final String MODEL = "stories260K-f32";
    /** The fixture model's first 20 greedy tokens after "Once upon a time" (llama.cpp reference). */
    static final String GREEDY_20 = ", there was a little girl named Lily. She loved to play outsid";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @GrpcClient("kserve")
    GRPCInferenceService client;

    private static InferParameter integer(long v) {
        return InferParameter.newBuilder().setInt64Param(v).build();
    }

    private static ModelInferRequest.Builder greedy(int maxTokens) {
        return ModelInferRequest.newBuilder().setModelName(MODEL).setId("req-7")
                .putParameters("max_tokens", integer(maxTokens))
                .putParameters("temperature", InferParameter.newBuilder().setDoubleParam(0).build());
    }

    private static ModelInferRequest.InferInputTensor.Builder textInput() {
        return ModelInferRequest.InferInputTensor.newBuilder().setName("text_input").setDatatype("BYTES").addShape(1);
    }

    @Test
    void healthAndMetadata() {
        assertTrue(client.serverLive(ServerLiveRequest.getDefaultInstance()).await().atMost(WAIT).getLive());
        assertTrue(client.serverReady(ServerReadyRequest.getDefaultInstance()).await().atMost(WAIT).getReady());
        assertTrue(client.modelReady(ModelReadyRequest.newBuilder().setName(MODEL).build()).await().atMost(WAIT).getReady());
        assertTrue(client.modelReady(ModelReadyRequest.newBuilder().setName(MODEL).setVersion("1").build()).await().atMost(WAIT).getReady());
        var server = client.serverMetadata(ServerMetadataRequest.getDefaultInstance()).await().atMost(WAIT);
        assertEquals("ember", server.getName());
        assertFalse(server.getVersion().isEmpty());
        assertEquals(List.of("generate"), server.getExtensionsList());

        ModelMetadataResponse m = client.modelMetadata(ModelMetadataRequest.newBuilder().setName(MODEL).build()).await().atMost(WAIT);
        var bytes1 = (java.util.function.Function<String, ModelMetadataResponse.TensorMetadata>) name ->
                ModelMetadataResponse.TensorMetadata.newBuilder().setName(name).setDatatype("BYTES").addShape(1).build();
        assertEquals(ModelMetadataResponse.newBuilder().setName(MODEL).addVersions("1").setPlatform("ember_gguf")
                .addInputs(bytes1.apply("text_input")).addOutputs(bytes1.apply("text_output")).build(), m);
    }

    @Test
    void unknownModelOrVersionIsNotFound() {
        var e = assertThrows(StatusRuntimeException.class,
                () -> client.modelReady(ModelReadyRequest.newBuilder().setName("llama-70b").build()).await().atMost(WAIT));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class,
                () -> client.modelMetadata(ModelMetadataRequest.newBuilder().setName(MODEL).setVersion("2").build()).await().atMost(WAIT));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    @Test
    void inferWithTypedContents() {
        ModelInferRequest request = greedy(20).addInputs(textInput().setContents(InferTensorContents.newBuilder()
                .addBytesContents(ByteString.copyFromUtf8("Once upon a time")))).build();
        ModelInferResponse r = client.modelInfer(request).await().atMost(WAIT);
        assertEquals(MODEL, r.getModelName());
        assertEquals("1", r.getModelVersion());
        assertEquals("req-7", r.getId());
        assertEquals(1, r.getOutputsCount());
        ModelInferResponse.InferOutputTensor out = r.getOutputs(0);
        assertEquals("text_output", out.getName());
        assertEquals("BYTES", out.getDatatype());
        assertEquals(List.of(1L), out.getShapeList());
        assertEquals(List.of(ByteString.copyFromUtf8(GREEDY_20)), out.getContents().getBytesContentsList());
        assertEquals(0, r.getRawOutputContentsCount());
        assertEquals("length", r.getParametersOrThrow("finish_reason").getStringParam());
        assertEquals(5, r.getParametersOrThrow("prompt_tokens").getInt64Param());
        assertEquals(20, r.getParametersOrThrow("completion_tokens").getInt64Param());
    }

    /** tritonclient sends BYTES as raw_input_contents (4-byte little-endian length, then the bytes) and reads raw outputs. */
    @Test
    void inferWithRawContentsAnswersRaw() {
        ModelInferRequest request = greedy(20).addInputs(textInput())
                .addRawInputContents(lengthPrefixed("Once upon a time"))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("text_output")).build();
        ModelInferResponse r = client.modelInfer(request).await().atMost(WAIT);
        assertEquals(List.of(lengthPrefixed(GREEDY_20)), r.getRawOutputContentsList());
        assertFalse(r.getOutputs(0).hasContents());
    }

    private static ByteString lengthPrefixed(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return ByteString.copyFrom(ByteBuffer.allocate(4 + b.length).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).put(b).array());
    }

    @Test
    void badInferRequestsAreInvalidArguments() {
        ModelInferRequest.InferInputTensor once = textInput().setContents(InferTensorContents.newBuilder()
                .addBytesContents(ByteString.copyFromUtf8("Once"))).build();
        assertInvalid(greedy(4).build(), "text_input");
        assertInvalid(greedy(4).addInputs(once.toBuilder().setName("prompt")).build(), "text_input");
        assertInvalid(greedy(4).addInputs(once.toBuilder().setDatatype("FP32")).build(), "BYTES");
        assertInvalid(greedy(4).addInputs(once).putParameters("max_tokens", integer(-2)).build(), "max_tokens");
        assertInvalid(greedy(4).addInputs(once).putParameters("top_p", InferParameter.newBuilder().setStringParam("2").build()).build(), "top_p");
        assertInvalid(greedy(4).addInputs(once).putParameters("max_tokenz", integer(3)).build(), "max_tokenz");
        assertInvalid(greedy(4).addInputs(once).addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("logits")).build(), "logits");
        var e = assertThrows(StatusRuntimeException.class,
                () -> client.modelInfer(greedy(4).setModelName("other").addInputs(once).build()).await().atMost(WAIT));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    private void assertInvalid(ModelInferRequest request, String mentioned) {
        var e = assertThrows(StatusRuntimeException.class, () -> client.modelInfer(request).await().atMost(WAIT));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains(mentioned), e.getStatus().getDescription());
    }
}
