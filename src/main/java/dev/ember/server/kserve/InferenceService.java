package dev.ember.server.kserve;

import com.google.protobuf.ByteString;
import dev.ember.server.ApiException;
import dev.ember.server.grpc.Completion;
import dev.ember.server.grpc.GrpcErrors;
import dev.ember.server.kserve.v2.GRPCInferenceService;
import dev.ember.server.kserve.v2.InferParameter;
import dev.ember.server.kserve.v2.InferTensorContents;
import dev.ember.server.kserve.v2.ModelInferRequest;
import dev.ember.server.kserve.v2.ModelInferResponse;
import dev.ember.server.kserve.v2.ModelMetadataRequest;
import dev.ember.server.kserve.v2.ModelMetadataResponse;
import dev.ember.server.kserve.v2.ModelReadyRequest;
import dev.ember.server.kserve.v2.ModelReadyResponse;
import dev.ember.server.kserve.v2.ServerLiveRequest;
import dev.ember.server.kserve.v2.ServerLiveResponse;
import dev.ember.server.kserve.v2.ServerMetadataRequest;
import dev.ember.server.kserve.v2.ServerMetadataResponse;
import dev.ember.server.kserve.v2.ServerReadyRequest;
import dev.ember.server.kserve.v2.ServerReadyResponse;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * KServe Open Inference Protocol v2 over gRPC ({@code inference.GRPCInferenceService}). ModelInfer takes
 * one BYTES element in {@code text_input} (typed contents or raw_input_contents) and generation
 * parameters as request parameters, and answers one BYTES element in {@code text_output}, raw when the
 * request was raw (as tritonclient expects) and typed otherwise. The finish reason and token counts
 * come back as response parameters.
 */
@GrpcService
public class InferenceService implements GRPCInferenceService {
    private final TextGeneration model;
    private final String version;

    public InferenceService(TextGeneration model, @ConfigProperty(name = "quarkus.application.version", defaultValue = "unknown") String version) {
        this.model = model;
        this.version = version;
    }

    @Override
    public Uni<ServerLiveResponse> serverLive(ServerLiveRequest request) {
        return Uni.createFrom().item(ServerLiveResponse.newBuilder().setLive(true).build());
    }

    @Override
    public Uni<ServerReadyResponse> serverReady(ServerReadyRequest request) {
        return Uni.createFrom().item(() -> ServerReadyResponse.newBuilder().setReady(model.ready()).build());
    }

    @Override
    public Uni<ModelReadyResponse> modelReady(ModelReadyRequest request) {
        return Uni.createFrom().item(() -> {
            model.checkModel(request.getName(), request.getVersion());
            return ModelReadyResponse.newBuilder().setReady(model.ready()).build();
        }).onFailure().transform(GrpcErrors::toStatus);
    }

    @Override
    public Uni<ServerMetadataResponse> serverMetadata(ServerMetadataRequest request) {
        return Uni.createFrom().item(ServerMetadataResponse.newBuilder().setName("ember").setVersion(version)
                .addExtensions("generate").build());
    }

    @Override
    public Uni<ModelMetadataResponse> modelMetadata(ModelMetadataRequest request) {
        return Uni.createFrom().item(() -> {
            model.checkModel(request.getName(), request.getVersion());
            return ModelMetadataResponse.newBuilder()
                    .setName(model.modelName())
                    .addVersions(TextGeneration.VERSION)
                    .setPlatform(TextGeneration.PLATFORM)
                    .addInputs(tensor(TextGeneration.INPUT))
                    .addOutputs(tensor(TextGeneration.OUTPUT))
                    .build();
        }).onFailure().transform(GrpcErrors::toStatus);
    }

    private static ModelMetadataResponse.TensorMetadata tensor(String name) {
        return ModelMetadataResponse.TensorMetadata.newBuilder().setName(name).setDatatype("BYTES").addShape(1).build();
    }

    @Override
    public Uni<ModelInferResponse> modelInfer(ModelInferRequest request) {
        boolean raw = request.getRawInputContentsCount() > 0;
        return Uni.createFrom().deferred(() -> {
            model.checkModel(request.getModelName(), request.getModelVersion());
            for (ModelInferRequest.InferRequestedOutputTensor o : request.getOutputsList()) {
                if (!o.getName().equals(TextGeneration.OUTPUT)) {
                    throw ApiException.badParam("outputs", "unknown output '" + o.getName() + "'; the model has one output, " + TextGeneration.OUTPUT);
                }
            }
            return model.complete(textInput(request), parameters(request.getParametersMap()));
        }).map(c -> response(request, c, raw)).onFailure().transform(GrpcErrors::toStatus);
    }

    private static String textInput(ModelInferRequest request) {
        if (request.getInputsCount() != 1 || !request.getInputs(0).getName().equals(TextGeneration.INPUT)) {
            throw ApiException.badParam("inputs", "expected exactly one input, '" + TextGeneration.INPUT + "' (BYTES, shape [1]), got "
                    + request.getInputsList().stream().map(ModelInferRequest.InferInputTensor::getName).toList());
        }
        ModelInferRequest.InferInputTensor input = request.getInputs(0);
        if (!input.getDatatype().equals("BYTES")) {
            throw ApiException.badParam(TextGeneration.INPUT, TextGeneration.INPUT + " must be BYTES, got " + input.getDatatype());
        }
        List<ByteString> elements = request.getRawInputContentsCount() > 0
                ? BytesTensor.decode(request.getRawInputContents(0))
                : input.getContents().getBytesContentsList();
        if (elements.size() != 1) {
            throw ApiException.badParam(TextGeneration.INPUT, TextGeneration.INPUT + " must hold one element (batching is not supported), got " + elements.size());
        }
        return elements.getFirst().toStringUtf8();
    }

    private static Map<String, Object> parameters(Map<String, InferParameter> in) {
        Map<String, Object> out = new HashMap<>();
        in.forEach((name, p) -> out.put(name, switch (p.getParameterChoiceCase()) {
            case BOOL_PARAM -> p.getBoolParam();
            case INT64_PARAM -> p.getInt64Param();
            case STRING_PARAM -> p.getStringParam();
            case DOUBLE_PARAM -> p.getDoubleParam();
            case UINT64_PARAM -> p.getUint64Param();
            case PARAMETERCHOICE_NOT_SET -> null;
        }));
        return out;
    }

    private ModelInferResponse response(ModelInferRequest request, Completion c, boolean raw) {
        ByteString text = ByteString.copyFromUtf8(c.text());
        ModelInferResponse.InferOutputTensor.Builder out = ModelInferResponse.InferOutputTensor.newBuilder()
                .setName(TextGeneration.OUTPUT).setDatatype("BYTES").addShape(1);
        ModelInferResponse.Builder r = ModelInferResponse.newBuilder()
                .setModelName(model.modelName())
                .setModelVersion(TextGeneration.VERSION)
                .setId(request.getId())
                .putParameters("finish_reason", InferParameter.newBuilder().setStringParam(c.finishReason()).build())
                .putParameters("prompt_tokens", InferParameter.newBuilder().setInt64Param(c.promptTokens()).build())
                .putParameters("completion_tokens", InferParameter.newBuilder().setInt64Param(c.completionTokens()).build());
        if (raw) return r.addOutputs(out).addRawOutputContents(BytesTensor.encode(text)).build();
        return r.addOutputs(out.setContents(InferTensorContents.newBuilder().addBytesContents(text))).build();
    }
}
