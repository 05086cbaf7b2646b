"""
Computes the Spark side of the spark-ml comparison suite with pyspark (local[2]).
Reads the cases (JSON) from the file named by argv[1]; prints the results as JSON on the last line.
"""
import json
import os
import re
import sys

# the executors' Python must be this one (the one with pyspark and numpy)
os.environ["PYSPARK_PYTHON"] = sys.executable

from pyspark.sql import SparkSession
from pyspark.ml.feature import HashingTF, IDF
from pyspark.ml.linalg import Vectors
from pyspark.mllib.linalg import Vectors as MLlibVectors
from pyspark.ml.classification import LogisticRegression, NaiveBayes, DecisionTreeClassifier
from pyspark.mllib.clustering import StreamingKMeansModel
from pyspark.mllib.regression import LabeledPoint, LinearRegressionWithSGD


def vec(v):
    return {"size": v.size, "indices": [int(i) for i in v.indices], "values": [float(x) for x in v.values]} \
        if hasattr(v, "indices") else {"values": [float(x) for x in v.toArray()]}


def main():
    cases = json.load(open(sys.argv[1]))
    spark = SparkSession.builder.master("local[2]").appName("millrace-spark-ml").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    sc = spark.sparkContext
    out = {}

    docs = spark.createDataFrame([(d,) for d in cases["docs"]], ["words"])
    out["hashingTF"] = {}
    for n in cases["numFeatures"]:
        rows = HashingTF(inputCol="words", outputCol="tf", numFeatures=n).transform(docs).collect()
        out["hashingTF"][str(n)] = [vec(r.tf) for r in rows]
    tf = HashingTF(inputCol="words", outputCol="tf", numFeatures=cases["idfNumFeatures"]).transform(docs)
    out["idf"] = {}
    for m in cases["minDocFreq"]:
        model = IDF(inputCol="tf", outputCol="x", minDocFreq=m).fit(tf)
        out["idf"][str(m)] = [float(x) for x in model.idf.toArray()]

    def frame(rows):
        return spark.createDataFrame([(float(r["label"]), Vectors.dense(r["features"])) for r in rows], ["label", "features"])

    out["lr"] = []
    for c in cases["lr"]:
        lr = LogisticRegression(regParam=c["regParam"], elasticNetParam=c["elasticNetParam"],
                                standardization=c["standardization"], family=c["family"], maxIter=1000, tol=1e-12)
        m = lr.fit(frame(cases["lrData"][c["data"]]))
        out["lr"].append({"coefficientMatrix": m.coefficientMatrix.toArray().tolist(),
                          "interceptVector": [float(x) for x in m.interceptVector.toArray()]})

    out["nb"] = []
    for c in cases["nb"]:
        m = NaiveBayes(modelType=c["modelType"], smoothing=1.0).fit(frame(cases["nbData"][c["data"]]))
        out["nb"].append({"pi": [float(x) for x in m.pi.toArray()], "theta": m.theta.toArray().tolist()})

    km = cases["kmeans"]
    model = StreamingKMeansModel([[float(x) for x in c] for c in km["centers"]], [float(w) for w in km["weights"]])
    for batch in km["batches"]:
        points = [MLlibVectors.dense([float(x) for x in p]) for p in batch]
        model = model.update(sc.parallelize(points, 2), float(km["decayFactor"]), km["timeUnit"])
    out["kmeans"] = {"centers": [list(map(float, c)) for c in model.centers], "weights": list(map(float, model.clusterWeights))}

    sgd = cases["sgd"]
    w = sgd["initialWeights"]
    for batch in sgd["batches"]:
        if not batch:
            continue
        rdd = sc.parallelize([LabeledPoint(float(p[0]), [float(x) for x in p[1]]) for p in batch], 2)
        m = LinearRegressionWithSGD.train(rdd, iterations=50, step=0.1, miniBatchFraction=1.0,
                                          initialWeights=[float(x) for x in w], intercept=False, convergenceTol=0.001)
        w = [float(x) for x in m.weights.toArray()]
    out["sgd"] = {"weights": w}

    rnd = sc._jvm.org.apache.spark.util.random.XORShiftRandom(cases["xorshiftSeed"])
    out["xorshift"] = [rnd.nextGaussian() for _ in range(8)]

    out["tree"] = []
    for c in cases["tree"]:
        m = DecisionTreeClassifier(maxDepth=c["maxDepth"], maxBins=32, impurity=c["impurity"]).fit(frame(cases["treeData"]))
        splits = [[int(f), float(t)] for f, t in re.findall(r"If \(feature (\d+) <= ([-0-9.E]+)\)", m.toDebugString)]
        test = frame(cases["treeTest"])
        preds = [float(r.prediction) for r in m.transform(test).select("prediction").collect()]
        out["tree"].append({"splits": splits, "predictions": preds, "depth": m.depth, "numNodes": m.numNodes})

    from pyspark.ml.classification import RandomForestClassifier
    train, test = frame(cases["split"]["train"]), frame(cases["split"]["test"])
    out["accuracy"] = {}
    for name, est in [("LogisticRegression", LogisticRegression(regParam=0.01)),
                      ("NaiveBayes", NaiveBayes()),
                      ("DecisionTreeClassifier", DecisionTreeClassifier()),
                      ("RandomForestClassifier", RandomForestClassifier(numTrees=20, seed=1))]:
        preds = est.fit(train).transform(test).select("label", "prediction").collect()
        out["accuracy"][name] = sum(1 for p in preds if p.label == p.prediction) / len(preds)

    print(json.dumps(out))
    spark.stop()


main()
