//! The benchmark model: many small objects plus a few large meshes, built
//! deterministically so every strategy moves the same bytes.

use speckle_types::{Mesh, Point, SpeckleObject};

/// `points` small objects and `meshes` meshes of `coordinates` floats each.
pub fn model(points: usize, meshes: usize, coordinates: usize) -> Vec<SpeckleObject> {
    let mut objects = Vec::with_capacity(points + meshes);
    for i in 0..points {
        let x = i as f64;
        objects.push(
            SpeckleObject::from(Point::new(x * 0.25, x * 0.5 + 1.0, (i % 100) as f64))
                .with_properties(serde_json::json!({"index": i, "layer": format!("L{}", i % 17)})),
        );
    }
    for m in 0..meshes {
        objects.push(mesh(m, coordinates));
    }
    objects
}

/// One mesh with `coordinates` vertex floats (a strip of triangles).
pub fn mesh(seed: usize, coordinates: usize) -> SpeckleObject {
    let vertex_count = coordinates / 3;
    let mut vertices = Vec::with_capacity(vertex_count * 3);
    for v in 0..vertex_count {
        let t = v as f64 * 0.001 + seed as f64;
        vertices.extend_from_slice(&[t, (t * 1.7).sin() * 10.0, (v % 50) as f64 * 0.1]);
    }
    let mut faces = Vec::with_capacity(vertex_count.saturating_sub(2) * 4);
    for v in 0..vertex_count.saturating_sub(2) {
        faces.extend_from_slice(&[0.0, v as f64, (v + 1) as f64, (v + 2) as f64]);
    }
    SpeckleObject::from(Mesh::new(vertices, faces)).with("name", format!("mesh-{seed}"))
}

/// Bytes of the model as JSON (what all strategies must move at least).
pub fn json_bytes(objects: &[SpeckleObject]) -> usize {
    objects
        .iter()
        .map(|o| serde_json::to_vec(o).map(|v| v.len()).unwrap_or(0))
        .sum()
}

/// Puts `nonce` in every object's properties. A server keeps one object per
/// content hash, whoever stored it first: against a real server, objects the
/// same as another run's (or another strategy's) would be answered without
/// being stored, and then not be this run's to delete. The nonce has the
/// same length in every run, so the model keeps its size.
pub fn tag(objects: &mut [SpeckleObject], nonce: &str) {
    for object in objects {
        let mut properties = match object.properties.take().flatten() {
            Some(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        properties.insert("bench".into(), nonce.into());
        object.properties = Some(Some(properties.into()));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_nonce_changes_every_hash_and_keeps_the_rest() {
        let plain = model(3, 2, 30);
        let mut tagged = plain.clone();
        tag(&mut tagged, "run-1");
        for (a, b) in plain.iter().zip(&tagged) {
            let (ha, hb) = (
                speckle_http::bulk::content_hash(a).unwrap(),
                speckle_http::bulk::content_hash(b).unwrap(),
            );
            assert_ne!(ha, hb);
            assert_eq!(b.properties.clone().flatten().unwrap()["bench"], "run-1");
        }
        assert_eq!(tagged[0].properties.clone().flatten().unwrap()["index"], 0);
        let mut again = plain.clone();
        tag(&mut again, "run-2");
        assert_eq!(json_bytes(&again), json_bytes(&tagged));
    }
}
